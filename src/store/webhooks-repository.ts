/**
 * SQL for webhook endpoints and their outbox (webhooks-schema.ts). `enqueue` is the outbox's
 * write side: called inside the transaction of the change that triggers an event, it writes the
 * event and one pending delivery per enabled endpoint subscribed to it, or nothing when no endpoint
 * wants it. Everything else here is read and written by the webhooks service and its dispatcher.
 * Every query a client can reach is scoped by tenant.
 */
import type { Kysely } from 'kysely';
import type { Database, WebhookDeliveryAttemptTable, WebhookDeliveryTable, WebhookTable } from './schema.ts';
import { parseJson, toJson } from './json.ts';
import { newId } from '../lib/ids.ts';
import type { WebhookEventData } from '../lib/webhook-event-types.ts';
import { decodeCursor, toPage, type Page } from './pagination.ts';

export interface EnqueueOptions {
  /** The transaction's time (the caller's clock), epoch ms: when delivery may start. */
  now: number;
  /** When the event happened (default `now`); endpoints created after it do not receive it. */
  occurredAt?: number;
  /** The event's id (`event_…`, the `webhook-id` receivers dedupe on); default a new one. */
  eventId?: string;
  /** For events read from a session's log: the session and the row's seq (orders events of one instant). */
  session?: { id: string; seq: number };
}

export type WebhookPatch = Partial<Omit<WebhookTable, 'id' | 'tenant_id' | 'created_at'>>;

/** Whether an endpoint's stored event_types (JSON array; empty = all) includes `type`. */
export function subscribes(eventTypes: string, type: string): boolean {
  const types = parseJson<string[]>(eventTypes, 'webhooks.event_types');
  return types.length === 0 || types.includes(type);
}

export class WebhooksRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * THE OUTBOX WRITE. Call it with the transaction's store (`tx.webhooks.enqueue`) in the same
   * transaction as the change the event reports, so the event commits exactly when the change does.
   * Returns the event id, or undefined when no enabled endpoint of the tenant subscribes to the type
   * (then nothing is written).
   */
  async enqueue(tenantId: string, data: WebhookEventData, options: EnqueueOptions): Promise<string | undefined> {
    const occurredAt = options.occurredAt ?? options.now;
    const endpoints = await this.db.selectFrom('webhooks').select(['id', 'event_types', 'created_at'])
      .where('tenant_id', '=', tenantId).where('status', '=', 'enabled').execute();
    const targets = endpoints.filter((e) => Number(e.created_at) <= occurredAt && subscribes(e.event_types, data.type));
    if (targets.length === 0) return undefined;
    const eventId = options.eventId ?? newId('event');
    await this.db.insertInto('webhook_events').values({
      id: eventId, tenant_id: tenantId, type: data.type, data: toJson(data),
      session_id: options.session?.id ?? null, session_seq: options.session?.seq ?? null, created_at: occurredAt,
    }).execute();
    await this.db.insertInto('webhook_deliveries').values(targets.map((t) => ({
      id: newId('whdlv'), tenant_id: tenantId, webhook_id: t.id, event_id: eventId, event_type: data.type,
      event_created_at: occurredAt, event_order: options.session?.seq ?? 0, state: 'pending', attempts: 0,
      next_attempt_at: options.now, last_attempt_at: null, last_status_code: null, last_error: null, delivered_at: null,
      created_at: options.now, updated_at: options.now,
    }))).execute();
    return eventId;
  }

  // ---- endpoints ----

  async insert(row: WebhookTable): Promise<void> {
    await this.db.insertInto('webhooks').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<WebhookTable | undefined> {
    return this.db.selectFrom('webhooks').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  async update(tenantId: string, id: string, patch: WebhookPatch): Promise<void> {
    await this.db.updateTable('webhooks').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /** Deletes the endpoint, its deliveries and their attempts; false when there was no such endpoint. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const deliveries = this.db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', id).where('tenant_id', '=', tenantId);
    await this.db.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', deliveries).execute();
    await this.db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).where('tenant_id', '=', tenantId).execute();
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async list(tenantId: string, options: { limit: number; page?: string }): Promise<Page<WebhookTable>> {
    const cursor = decodeCursor(options.page, 'desc');
    let q = this.db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId);
    if (cursor) q = q.where((eb) => eb.or([eb('created_at', '<', cursor.k), eb.and([eb('created_at', '=', cursor.k), eb('id', '<', cursor.id)])]));
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit + 1).execute();
    return toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: Number(r.created_at), id: r.id }) }, (r) => r);
  }

  // ---- deliveries ----

  findDelivery(tenantId: string, webhookId: string, id: string): Promise<WebhookDeliveryTable | undefined> {
    return this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).where('webhook_id', '=', webhookId).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  async listDeliveries(tenantId: string, webhookId: string, options: { limit: number; page?: string }): Promise<Page<WebhookDeliveryTable>> {
    const cursor = decodeCursor(options.page, 'desc');
    let q = this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).where('tenant_id', '=', tenantId);
    if (cursor) q = q.where((eb) => eb.or([eb('created_at', '<', cursor.k), eb.and([eb('created_at', '=', cursor.k), eb('id', '<', cursor.id)])]));
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit + 1).execute();
    return toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: Number(r.created_at), id: r.id }) }, (r) => r);
  }

  /** Attempts of the given deliveries, oldest first. */
  async attemptsOf(deliveryIds: string[]): Promise<WebhookDeliveryAttemptTable[]> {
    if (deliveryIds.length === 0) return [];
    return this.db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('attempt').execute();
  }

  async updateDelivery(id: string, patch: Partial<Omit<WebhookDeliveryTable, 'id' | 'tenant_id' | 'webhook_id' | 'event_id'>>): Promise<void> {
    await this.db.updateTable('webhook_deliveries').set(patch).where('id', '=', id).execute();
  }

  async insertAttempt(row: WebhookDeliveryAttemptTable): Promise<void> {
    await this.db.insertInto('webhook_delivery_attempts').values(row).execute();
  }

  findEvent(id: string): Promise<{ id: string; tenant_id: string; type: string; data: string; created_at: number } | undefined> {
    return this.db.selectFrom('webhook_events').select(['id', 'tenant_id', 'type', 'data', 'created_at']).where('id', '=', id).executeTakeFirst();
  }
}
