/**
 * Webhook event types (`data.type` of the SDK's BetaWebhookEvent, @anthropic-ai/sdk 1.15
 * resources/beta/webhooks.d.ts) that this server can send. Webhook names differ from stream names
 * on purpose (`session.status_idled` for the stream's `session.status_idle`).
 */
export const WEBHOOK_EVENT_TYPES = [
  'session.created',
  'session.updated',
  'session.status_run_started',
  'session.status_idled',
  'session.requires_action',
  'session.status_rescheduled',
  'session.status_terminated',
  'session.budget_reached',
  'session.archived',
  'session.deleted',
  'deployment.created',
  'deployment.updated',
  'deployment.paused',
  'deployment.unpaused',
  'deployment.archived',
  'deployment.deleted',
  'deployment_run.started',
  'deployment_run.succeeded',
  'deployment_run.failed',
  'vault_credential.refresh_failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * The `data` object of a webhook payload without `organization_id`/`workspace_id` (the sender adds
 * them from the tenant): the event type, the id of the resource it is about, and the extra ids the
 * SDK type has (`vault_id` for vault_credential.*).
 */
export interface WebhookEventData {
  type: WebhookEventType;
  /** Id of the resource that triggered the event (session, deployment run, credential…). */
  id: string;
  /** Extra ids of the SDK's data type, e.g. `{ vault_id }` for vault_credential.*. */
  [extraId: string]: string;
}
