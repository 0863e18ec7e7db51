/** Webhook rows ↔ wire objects, and the payload body every endpoint receives (the SDK's BetaWebhookEvent). */
import type { WebhookDeliveryAttemptTable, WebhookDeliveryTable, WebhookTable } from '../store/schema.ts';
import { parseJson } from '../store/json.ts';
import { toIso } from '../lib/time.ts';
import type { Webhook, WebhookDelivery } from '../api/schemas/webhooks.ts';

export function toWebhook(row: WebhookTable): Webhook {
  return {
    id: row.id,
    type: 'webhook',
    url: row.url,
    event_types: parseJson<string[]>(row.event_types, 'webhooks.event_types'),
    description: row.description,
    status: row.status as Webhook['status'],
    disabled_reason: row.disabled_reason,
    created_at: iso(Number(row.created_at)),
    updated_at: iso(Number(row.updated_at)),
  };
}

const iso = (ms: number): string => toIso(Number(ms));
const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : iso(ms));

export function toDelivery(row: WebhookDeliveryTable, attempts: WebhookDeliveryAttemptTable[]): WebhookDelivery {
  return {
    id: row.id,
    type: 'webhook_delivery',
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.state as WebhookDelivery['status'],
    attempt_count: Number(row.attempts),
    next_attempt_at: row.state === 'pending' ? isoOrNull(row.next_attempt_at) : null,
    last_status_code: row.last_status_code === null ? null : Number(row.last_status_code),
    last_error: row.last_error,
    delivered_at: isoOrNull(row.delivered_at),
    created_at: iso(Number(row.created_at)),
    attempts: attempts.map((a) => ({
      attempt: Number(a.attempt),
      trigger: a.kind as 'automatic' | 'redeliver',
      started_at: iso(Number(a.started_at)),
      duration_ms: Number(a.duration_ms),
      status_code: a.status_code === null ? null : Number(a.status_code),
      error: a.error,
    })),
  };
}

/**
 * The exact bytes POSTed: `{type:"event", id, created_at, data:{type, id, organization_id,
 * workspace_id, …extra ids}}`. The tenant is both the organization and the workspace here.
 */
export function payloadBody(event: { id: string; tenantId: string; createdAt: number; data: string }): string {
  const { type, id, ...extra } = parseJson<Record<string, string>>(event.data, 'webhook_events.data');
  return JSON.stringify({
    type: 'event',
    id: event.id,
    created_at: iso(event.createdAt),
    data: { type, id, organization_id: event.tenantId, workspace_id: event.tenantId, ...extra },
  });
}
