/**
 * SQL for webhook endpoints and their outbox (webhooks-schema.ts). `enqueue` is the outbox's
 * write side: called inside the transaction of the change that triggers an event, it writes the
 * event and one pending delivery per enabled endpoint subscribed to it, or nothing when no endpoint
 * wants it. Everything else here is read and written by the webhooks service and its dispatcher.
 * Every query a client can reach is scoped by tenant.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, WebhookDeliveryAttemptTable, WebhookDeliveryTable, WebhookTable } from './schema.ts';
import { parseJson, toJson } from './json.ts';
import { newId } from '../lib/ids.ts';
import type { WebhookEventData } from '../lib/webhook-event-types.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';

type DeliveryFilter = (eb: ExpressionBuilder<Database, 'webhook_deliveries'>) => ReturnType<ExpressionBuilder<Database, 'webhook_deliveries'>['and']>;

export interface EnqueueOptions {
  /** The transaction's time (the caller's clock), epoch ms: when delivery may start. */
  now: number;
  /** When the event happened (default `now`); endpoints created after it do not receive it. */
  occurredAt?: number;
  /** The event's id (`event_…`, the `webhook-id` receivers dedupe on); default a new one. */
  eventId?: string;
  /** For events read from a session's log: the session and the row's seq. */
  session?: { id: string; seq: number };
  /** Orders events of one instant for an endpoint (default: session.seq, else 0). */
  order?: number;
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
      event_created_at: occurredAt, event_order: options.order ?? options.session?.seq ?? 0, state: 'pending', attempts: 0,
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

  async count(tenantId: string): Promise<number> {
    const row = await this.db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async update(tenantId: string, id: string, patch: WebhookPatch): Promise<void> {
    await this.db.updateTable('webhooks').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /**
   * Deletes the endpoint, its deliveries and their attempts, and the events no other endpoint's
   * delivery refers to (else nothing would ever delete them: retention goes by deliveries); false
   * when there was no such endpoint.
   */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const deliveries = this.db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', id).where('tenant_id', '=', tenantId);
    await this.db.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', deliveries).execute();
    const gone = await this.db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).where('tenant_id', '=', tenantId).returning('event_id').execute();
    const eventIds = [...new Set(gone.map((d) => d.event_id))];
    for (let i = 0; i < eventIds.length; i += 500) await this.deleteUnreferencedEvents(eventIds.slice(i, i + 500));
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async list(tenantId: string, options: { limit: number; page?: string }): Promise<Page<WebhookTable>> {
    const cursor = decodeCursor(options.page, 'desc');
    const q = this.db.selectFrom('webhooks').selectAll().where('tenant_id', '=', tenantId);
    const rows = await keysetPage(q, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: options.limit }).execute();
    return toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: Number(r.created_at), id: r.id }) }, (r) => r);
  }

  // ---- deliveries ----

  findDelivery(tenantId: string, webhookId: string, id: string): Promise<WebhookDeliveryTable | undefined> {
    return this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).where('webhook_id', '=', webhookId).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  async listDeliveries(tenantId: string, webhookId: string, options: { limit: number; page?: string }): Promise<Page<WebhookDeliveryTable>> {
    const cursor = decodeCursor(options.page, 'desc');
    const q = this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).where('tenant_id', '=', tenantId);
    const rows = await keysetPage(q, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: options.limit }).execute();
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

  // ---- the dispatcher: session fan-out ----

  /**
   * Sessions of tenants that have any endpoint whose log has rows past the dispatcher's cursor, or
   * that have no cursor yet (new sessions: session.created). With `changedSince`, only sessions whose
   * updated_at (set by every append and every change of the row) is at or after it, oldest change
   * first: a range of the sessions_updated index, so a poll reads what changed, not every session.
   * Without it, every session, oldest first (the dispatcher's full sweep).
   */
  async sessionsToFanOut(limit: number, changedSince?: number): Promise<SessionToFanOut[]> {
    let q = this.db.selectFrom('sessions as s')
      .leftJoin('webhook_session_cursors as c', 'c.session_id', 's.id')
      .select(['s.id', 's.tenant_id', 's.last_seq', 's.created_at', 's.archived_at', 'c.seq as cursor_seq'])
      .where((eb) => eb.or([eb('c.session_id', 'is', null), eb('s.last_seq', '>', eb.ref('c.seq'))]));
    q = changedSince === undefined
      ? q.where('s.tenant_id', 'in', (eb) => eb.selectFrom('webhooks').select('webhooks.tenant_id')).orderBy('s.created_at').orderBy('s.id')
      // The tenant test as a correlated EXISTS: with `tenant_id IN (…)` SQLite searched sessions by
      // tenant (every session of the tenant) instead of by the updated_at range.
      : q.where('s.updated_at', '>=', changedSince)
        .where((eb) => eb.exists(eb.selectFrom('webhooks as w').select('w.id').whereRef('w.tenant_id', '=', 's.tenant_id')))
        .orderBy('s.updated_at');
    const rows = await q.limit(limit).execute();
    return rows.map((r) => ({
      id: r.id, tenantId: r.tenant_id, lastSeq: Number(r.last_seq), createdAt: Number(r.created_at),
      archivedAt: r.archived_at === null ? null : Number(r.archived_at), cursorSeq: r.cursor_seq === null ? null : Number(r.cursor_seq),
    }));
  }

  /** The latest sessions.updated_at (the sessions_updated index's last entry), or undefined without sessions. */
  async latestSessionChange(): Promise<number | undefined> {
    const row = await this.db.selectFrom('sessions').select((eb) => eb.fn.max('updated_at').as('latest')).executeTakeFirst();
    return row?.latest === null || row?.latest === undefined ? undefined : Number(row.latest);
  }

  /** One session as sessionsToFanOut would return it (whether or not it has anything new). */
  async sessionToFanOut(tenantId: string, sessionId: string): Promise<SessionToFanOut | undefined> {
    const r = await this.db.selectFrom('sessions as s').leftJoin('webhook_session_cursors as c', 'c.session_id', 's.id')
      .select(['s.id', 's.tenant_id', 's.last_seq', 's.created_at', 's.archived_at', 'c.seq as cursor_seq'])
      .where('s.id', '=', sessionId).where('s.tenant_id', '=', tenantId).executeTakeFirst();
    return r && {
      id: r.id, tenantId: r.tenant_id, lastSeq: Number(r.last_seq), createdAt: Number(r.created_at),
      archivedAt: r.archived_at === null ? null : Number(r.archived_at), cursorSeq: r.cursor_seq === null ? null : Number(r.cursor_seq),
    };
  }

  /** When the tenant's oldest endpoint was created (events before it go nowhere), or undefined. */
  async firstEndpointCreatedAt(tenantId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('webhooks').select((eb) => eb.fn.min('created_at').as('first')).where('tenant_id', '=', tenantId).executeTakeFirst();
    return row?.first === null || row?.first === undefined ? undefined : Number(row.first);
  }

  /** Log rows of the given types with afterSeq < seq <= uptoSeq (and created at or after `since`), in seq order. */
  async logRows(sessionId: string, q: { afterSeq: number; uptoSeq: number; types: readonly string[]; since: number; limit: number }): Promise<LogRow[]> {
    const rows = await this.db.selectFrom('session_events').select(['seq', 'id', 'type', 'payload', 'created_at'])
      .where('session_id', '=', sessionId).where('seq', '>', q.afterSeq).where('seq', '<=', q.uptoSeq)
      .where('type', 'in', [...q.types]).where('created_at', '>=', q.since)
      .orderBy('seq').limit(q.limit).execute();
    return rows.map((r) => ({ seq: Number(r.seq), id: r.id, type: r.type, payload: r.payload, createdAt: Number(r.created_at) }));
  }

  /**
   * Moves a session's cursor from `from` (null: no cursor yet) to `to`; false when another writer
   * moved it first (the caller rolls its transaction back). On Postgres the UPDATE waits for a
   * concurrent mover's commit and then finds the cursor changed; an INSERT waits on the key.
   */
  async advanceCursor(session: { id: string; tenantId: string }, from: number | null, to: number, now: number): Promise<boolean> {
    const { id: sessionId, tenantId } = session;
    if (from === null) {
      const result = await this.db.insertInto('webhook_session_cursors').values({ session_id: sessionId, tenant_id: tenantId, seq: to, updated_at: now })
        .onConflict((oc) => oc.column('session_id').doNothing()).returning('session_id').executeTakeFirst();
      return result !== undefined;
    }
    const result = await this.db.updateTable('webhook_session_cursors').set({ seq: to, updated_at: now })
      .where('session_id', '=', sessionId).where('seq', '=', from).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  // ---- the dispatcher: retention ----

  /**
   * Deletes up to `limit` deliveries with their last change before `cutoff` that reached a final
   * state (delivered, or failed after the last retry) or are pending for an endpoint that is not
   * enabled (kept for a re-enable, which resumes them, but no longer than the retention), their
   * attempts, and their events once no delivery refers to them (an event another endpoint still has
   * pending stays). Call it in a transaction (`tx.webhooks`); returns how many deliveries it
   * deleted. A delivery a redeliver made pending again, or whose endpoint was re-enabled, meanwhile
   * is not deleted: the DELETE tests state, endpoint and age again on the row itself.
   */
  async deleteFinishedBefore(cutoff: number, limit: number): Promise<number> {
    // Two queries, so the finished ones keep their partial index (migration 60).
    const finished: DeliveryFilter = (eb) => eb.and([eb('state', 'in', ['delivered', 'failed']), eb('updated_at', '<', cutoff)]);
    const parked: DeliveryFilter = (eb) => eb.and([
      eb('state', '=', 'pending'), eb('updated_at', '<', cutoff),
      eb('webhook_id', 'in', eb.selectFrom('webhooks').select('webhooks.id').where('webhooks.status', '!=', 'enabled')),
    ]);
    const done = await this.deleteDeliveries(finished, limit);
    return done < limit ? done + (await this.deleteDeliveries(parked, limit - done)) : done;
  }

  /** Deletes up to `limit` deliveries matching `where` (tested again on each row), their attempts and events no delivery needs. */
  private async deleteDeliveries(where: DeliveryFilter, limit: number): Promise<number> {
    const batch = this.db.selectFrom('webhook_deliveries').select('id').where(where).limit(limit);
    const deleted = await this.db.deleteFrom('webhook_deliveries').where('id', 'in', batch).where(where).returning(['id', 'event_id']).execute();
    if (deleted.length === 0) return 0;
    // Postgres cascades the attempts; SQLite does when foreign keys are enforced. Either way, none stay.
    await this.db.deleteFrom('webhook_delivery_attempts').where('delivery_id', 'in', deleted.map((d) => d.id)).execute();
    await this.deleteUnreferencedEvents([...new Set(deleted.map((d) => d.event_id))]);
    return deleted.length;
  }

  /** Deletes those of the given events that no delivery refers to any more. */
  private async deleteUnreferencedEvents(eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.db.deleteFrom('webhook_events').where('id', 'in', eventIds)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id'))))
      .execute();
  }

  // ---- the dispatcher: sending ----

  /** Enabled endpoints with a pending delivery due at `now`. */
  async dueWebhooks(now: number, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('webhook_deliveries as d').innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select('d.webhook_id').distinct()
      .where('d.state', '=', 'pending').where('d.next_attempt_at', '<=', now).where('w.status', '=', 'enabled')
      .limit(limit).execute();
    return rows.map((r) => r.webhook_id);
  }

  /** Takes (or renews) the endpoint's sending lease for `owner` unless another live owner holds it. */
  async claim(id: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const result = await this.db.updateTable('webhooks').set({ lease_owner: owner, lease_until: now + ttlMs })
      .where('id', '=', id).where('status', '=', 'enabled')
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.db.updateTable('webhooks').set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
  }

  /** The endpoint's due pending deliveries with their events, in event order. */
  async dueDeliveries(webhookId: string, now: number, limit: number): Promise<DueDelivery[]> {
    const rows = await this.db.selectFrom('webhook_deliveries as d').innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .selectAll('d').select(['e.data as event_data', 'e.created_at as event_at'])
      .where('d.webhook_id', '=', webhookId).where('d.state', '=', 'pending').where('d.next_attempt_at', '<=', now)
      .orderBy('d.event_created_at').orderBy('d.event_order').orderBy('d.event_id').limit(limit).execute();
    return rows.map(({ event_data, event_at, ...delivery }) => ({ delivery, eventData: event_data, eventAt: Number(event_at) }));
  }
}

export interface SessionToFanOut {
  id: string; tenantId: string; lastSeq: number; createdAt: number; archivedAt: number | null; cursorSeq: number | null;
}

export interface LogRow { seq: number; id: string; type: string; payload: string; createdAt: number }

export interface DueDelivery { delivery: WebhookDeliveryTable; eventData: string; eventAt: number }
