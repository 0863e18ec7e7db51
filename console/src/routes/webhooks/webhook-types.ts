/** Wire shapes of /v1/webhooks (see the server's src/api/schemas/webhooks.ts). */
export interface Webhook {
  id: string;
  type: 'webhook';
  url: string;
  event_types: string[];
  description: string | null;
  status: 'enabled' | 'disabled' | 'auto_disabled';
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export type WebhookWithSecret = Webhook & { secret: string };

export interface WebhookAttempt {
  attempt: number;
  trigger: 'automatic' | 'redeliver';
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export interface WebhookDelivery {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
  attempts: WebhookAttempt[];
}

/** The event types an endpoint can subscribe to (empty = all). */
export const EVENT_TYPES = [
  'session.created', 'session.updated', 'session.status_run_started', 'session.status_idled', 'session.requires_action',
  'session.budget_reached', 'session.status_rescheduled', 'session.status_terminated', 'session.archived', 'session.deleted',
  'deployment.created', 'deployment.updated', 'deployment.paused', 'deployment.unpaused', 'deployment.archived', 'deployment.deleted',
  'deployment_run.started', 'deployment_run.succeeded', 'deployment_run.failed', 'vault_credential.refresh_failed',
];
