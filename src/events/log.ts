/**
 * The session event log: the truth about every session. Owns appending (one transaction per batch:
 * sequence numbers, event rows and the cached session columns they change), then publishing to the
 * hub strictly after commit. Reading for lists and stream replay goes through here too. It does not
 * decide what happens next (the harness does) nor validate client input (the session-events service).
 */
import { notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { SessionTable } from '../store/schema.ts';
import type { EventSize, ListEventsQuery } from '../store/events-repository.ts';
import type { EventHub } from './hub.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { randomIds, type IdSource } from '../lib/ids.ts';
import type { EphemeralEvent, NewEvent, StoredEvent } from './types.ts';

export type SessionPatch = Partial<Pick<SessionTable, 'status' | 'usage' | 'active_ms' | 'turn_id' | 'archived_at' | 'title' | 'metadata' | 'agent' | 'budget'>>;

export interface AppendOptions {
  /** Cached session columns changed by these events, written in the same transaction. */
  sessionPatch?: SessionPatch;
  /** Queued user events the harness consumed with this append (their processed_at is set). */
  markProcessed?: string[];
  /** Fencing: the append is refused unless this lease token is still current. */
  lease?: { owner: string; token: number };
  /** Runs inside the transaction after the insert (e.g. extra checks); throw to roll back. */
  inTransaction?: (tx: Store, events: StoredEvent[]) => Promise<void>;
}

/** Thrown when a writer's lease was taken over; its step must stop without writing. */
export class LeaseLostError extends Error {
  constructor(sessionId: string) {
    super(`lease on session ${sessionId} was taken over by another worker`);
    this.name = 'LeaseLostError';
  }
}

/** One append's events (ids assigned) and where they go. */
interface Batch {
  tenantId: string;
  sessionId: string;
  events: (NewEvent & { id: string })[];
  now: number;
}

export class EventLog {
  private readonly clock: Clock;
  private readonly ids: IdSource;

  /** `clock` stamps created_at, `ids` names events that come without an id (composition root's ports). */
  constructor(private readonly store: Store, readonly hub: EventHub, ports: { clock?: Clock; ids?: IdSource } = {}) {
    this.clock = ports.clock ?? systemClock;
    this.ids = ports.ids ?? randomIds;
  }

  /** Appends events atomically and publishes them after commit. Throws NotFoundError / LeaseLostError. */
  async append(tenantId: string, sessionId: string, events: NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    const now = this.clock.now();
    const named = events.map((event) => (event.id === undefined ? { ...event, id: this.ids.next('sevt') } : event)) as (NewEvent & { id: string })[];
    const batch: Batch = { tenantId, sessionId, events: named, now };
    const stored = options.inTransaction ? await this.appendInTransaction(batch, options) : await this.appendAtOnce(batch, options);
    if (stored.length > 0) this.hub.publish(sessionId, { kind: 'events', events: stored });
    return stored;
  }

  /** The hot path: one statement (Postgres) or one prepared transaction (SQLite), see StoreDialect.appendEvents. */
  private async appendAtOnce({ tenantId, sessionId, events, now }: Batch, options: AppendOptions): Promise<StoredEvent[]> {
    const result = await this.store.appendEvents({
      tenantId, sessionId, events, now,
      ...(options.lease ? { lease: options.lease } : {}),
      ...(options.sessionPatch ? { sessionPatch: options.sessionPatch } : {}),
      // Processed no later than the events that consumed them, so processed_at order follows the log.
      ...(options.markProcessed?.length ? { markProcessed: options.markProcessed, markProcessedAt: events[0]?.processedAt ?? now } : {}),
    });
    if (result.kind === 'lease_lost') throw new LeaseLostError(sessionId);
    if (result.kind === 'not_found') throw notFound('session', sessionId);
    return result.events;
  }

  /** With a caller's in-transaction step: the same writes as statements of one store transaction. */
  private appendInTransaction({ tenantId, sessionId, events: named, now }: Batch, options: AppendOptions): Promise<StoredEvent[]> {
    return this.store.transaction(async (tx) => {
      if (options.lease && !(await tx.leases.holds(sessionId, options.lease.owner, options.lease.token))) throw new LeaseLostError(sessionId);
      const appended = await tx.events.append(tenantId, sessionId, named, now);
      if (!appended) throw notFound('session', sessionId);
      if (options.sessionPatch && Object.keys(options.sessionPatch).length > 0) await tx.sessions.update(tenantId, sessionId, options.sessionPatch);
      // Processed no later than the events that consumed them, so processed_at order follows the log.
      if (options.markProcessed?.length) await tx.events.markProcessed(sessionId, options.markProcessed, named[0]?.processedAt ?? now);
      if (options.inTransaction) await options.inTransaction(tx, appended);
      return appended;
    });
  }

  /** Publishes a live-only preview frame (never stored). */
  publishEphemeral(event: EphemeralEvent): void {
    this.hub.publish(event.sessionId, { kind: 'ephemeral', event });
  }

  list(tenantId: string, sessionId: string, query: ListEventsQuery): Promise<StoredEvent[]> {
    return this.store.events.list(tenantId, sessionId, query);
  }

  /** Stored sizes of a range of events, without reading their payloads (bounded stream replay). */
  listSizes(tenantId: string, sessionId: string, query: { afterSeq: number; beforeSeq: number; limit: number }): Promise<EventSize[]> {
    return this.store.events.listSizes(tenantId, sessionId, query);
  }
}
