/**
 * SQL for the session event log. Appending takes the next sequence numbers by incrementing
 * sessions.last_seq in the same transaction: the UPDATE locks the session row on Postgres and
 * SQLite has one writer, so sequences are gapless and unique under any number of writers.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, SessionEventTable } from './schema.ts';
import { parseStoredPayload, toJson } from './json.ts';
import type { NewEvent, StoredEvent } from '../events/types.ts';
import { newId } from '../lib/ids.ts';

export function toStoredEvent(row: SessionEventTable): StoredEvent {
  return {
    sessionId: row.session_id,
    seq: Number(row.seq),
    id: row.id,
    type: row.type,
    payload: parseStoredPayload(row.payload, 'session_events.payload'),
    processedAt: row.processed_at,
    createdAt: row.created_at,
  };
}

export interface ListEventsQuery {
  afterSeq?: number;
  beforeSeq?: number;
  order: 'asc' | 'desc';
  types?: string[];
  limit: number;
  processedGt?: number; processedGte?: number; processedLt?: number; processedLte?: number;
}

/** An event's identity and stored size, read without its payload. */
export interface EventSize {
  seq: number;
  id: string;
  type: string;
  processedAt: number | null;
  /** Bytes of the stored payload JSON. */
  bytes: number;
}

export class EventsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Must run inside a transaction. Returns undefined when the session is not in the tenant. */
  async append(tenantId: string, sessionId: string, events: NewEvent[], now: number): Promise<StoredEvent[] | undefined> {
    const bumped = await this.db
      .updateTable('sessions')
      .set((eb) => ({ last_seq: eb('last_seq', '+', events.length), updated_at: now }))
      .where('id', '=', sessionId)
      .where('tenant_id', '=', tenantId)
      .returning('last_seq')
      .executeTakeFirst();
    if (!bumped) return undefined;
    const first = Number(bumped.last_seq) - events.length + 1;
    const rows: SessionEventTable[] = events.map((e, i) => ({
      session_id: sessionId,
      seq: first + i,
      id: e.id ?? newId('sevt'),
      tenant_id: tenantId,
      type: e.type,
      payload: toJson(e.payload),
      processed_at: e.processedAt,
      created_at: now,
    }));
    if (rows.length > 0) await this.db.insertInto('session_events').values(rows).execute();
    return rows.map(toStoredEvent);
  }

  async list(tenantId: string, sessionId: string, q: ListEventsQuery): Promise<StoredEvent[]> {
    let query = this.db.selectFrom('session_events').selectAll().where('session_id', '=', sessionId).where('tenant_id', '=', tenantId);
    if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
    if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
    if (q.types) query = q.types.length === 0 ? query.where('seq', '<', 0) : query.where('type', 'in', q.types);
    if (q.processedGt !== undefined) query = query.where('processed_at', '>', q.processedGt);
    if (q.processedGte !== undefined) query = query.where('processed_at', '>=', q.processedGte);
    if (q.processedLt !== undefined) query = query.where('processed_at', '<', q.processedLt);
    if (q.processedLte !== undefined) query = query.where('processed_at', '<=', q.processedLte);
    const rows = await query.orderBy('seq', q.order).limit(q.limit).execute();
    return rows.map(toStoredEvent);
  }

  /** Sizes of the events after `afterSeq` and before `beforeSeq`, ascending; payloads stay in the database. */
  async listSizes(tenantId: string, sessionId: string, q: { afterSeq: number; beforeSeq: number; limit: number }): Promise<EventSize[]> {
    const rows = await this.db.selectFrom('session_events')
      .select(['seq', 'id', 'type', 'processed_at', sql<number>`octet_length(payload)`.as('bytes')])
      .where('session_id', '=', sessionId).where('tenant_id', '=', tenantId)
      .where('seq', '>', q.afterSeq).where('seq', '<', q.beforeSeq)
      .orderBy('seq', 'asc').limit(q.limit).execute();
    return rows.map((r) => ({ seq: Number(r.seq), id: r.id, type: r.type, processedAt: r.processed_at === null ? null : Number(r.processed_at), bytes: Number(r.bytes) }));
  }

  async findById(tenantId: string, sessionId: string, id: string): Promise<StoredEvent | undefined> {
    const row = await this.db.selectFrom('session_events').selectAll().where('id', '=', id).where('session_id', '=', sessionId).where('tenant_id', '=', tenantId).executeTakeFirst();
    return row ? toStoredEvent(row) : undefined;
  }

  /**
   * Seq and type of the latest events of the given types, newest first, without reading payloads
   * (so a row whose payload no longer validates does not stop the caller).
   */
  async latestTypes(tenantId: string, sessionId: string, q: { types: string[]; limit: number }): Promise<{ seq: number; type: string }[]> {
    const rows = await this.db.selectFrom('session_events').select(['seq', 'type']).where('session_id', '=', sessionId).where('tenant_id', '=', tenantId)
      .where('type', 'in', q.types).orderBy('seq', 'desc').limit(q.limit).execute();
    return rows.map((row) => ({ seq: Number(row.seq), type: row.type }));
  }

  /** Ids of the session's user input that no step has consumed yet (processed_at null), in log order. */
  async queuedInputIds(tenantId: string, sessionId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('session_events').select('id').where('session_id', '=', sessionId).where('tenant_id', '=', tenantId)
      .where('processed_at', 'is', null).where('type', 'in', ['user.message', 'user.interrupt', 'user.tool_confirmation']).orderBy('seq', 'asc').execute();
    return rows.map((row) => row.id);
  }

  /** Marks queued user events processed (processed_at was null). */
  async markProcessed(sessionId: string, ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('session_events').set({ processed_at: now }).where('session_id', '=', sessionId).where('id', 'in', ids).where('processed_at', 'is', null).execute();
  }
}
