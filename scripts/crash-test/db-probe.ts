/**
 * Reads the server's database directly (through the project's own store, read-only queries), for
 * what the API does not show: raw sequence numbers, unprocessed input, duplicate ids across
 * sessions, and whether a session has settled (nothing left for the server to do on its own).
 */
import type { Store } from '../../src/store/store.ts';
import type { EventRow } from './invariants.ts';

export interface SessionSnapshot {
  status: string;
  lastSeq: number;
  /** Idle with nothing the server should do without a client: no unprocessed input it could act on. */
  settled: boolean;
}

const INPUT_TYPES = ['user.message', 'user.interrupt', 'user.tool_confirmation'];

export class DbProbe {
  constructor(readonly store: Store) {}

  async snapshot(sessionIds: string[]): Promise<Map<string, SessionSnapshot>> {
    const out = new Map<string, SessionSnapshot>();
    if (sessionIds.length === 0) return out;
    const db = this.store.db;
    const sessions = await db.selectFrom('sessions').select(['id', 'status', 'last_seq']).where('id', 'in', sessionIds).execute();
    const pending = await db
      .selectFrom('session_events')
      .select(['session_id', 'type'])
      .where('session_id', 'in', sessionIds)
      .where('processed_at', 'is', null)
      .where('type', 'in', INPUT_TYPES)
      .execute();
    for (const s of sessions) {
      let settled = s.status === 'idle';
      const mine = pending.filter((p) => p.session_id === s.id);
      if (settled && mine.length > 0) {
        // A session waiting for a confirmation leaves later messages queued until it is answered.
        const waiting = (await this.lastIdleReason(s.id)) === 'requires_action';
        settled = waiting ? mine.every((p) => p.type === 'user.message') : false;
      }
      out.set(s.id, { status: s.status, lastSeq: Number(s.last_seq), settled });
    }
    return out;
  }

  async rows(sessionId: string): Promise<EventRow[]> {
    const rows = await this.store.db.selectFrom('session_events').select(['seq', 'id', 'type', 'processed_at']).where('session_id', '=', sessionId).orderBy('seq', 'asc').execute();
    return rows.map((r) => ({ seq: Number(r.seq), id: r.id, type: r.type, processed_at: r.processed_at === null ? null : Number(r.processed_at) }));
  }

  async session(sessionId: string): Promise<{ last_seq: number; status: string }> {
    const s = await this.store.db.selectFrom('sessions').select(['last_seq', 'status']).where('id', '=', sessionId).executeTakeFirstOrThrow();
    return { last_seq: Number(s.last_seq), status: s.status };
  }

  /** Event ids stored more than once anywhere in the database. */
  async duplicateEventIds(): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom('session_events')
      .select(['id', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('id')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Sessions whose seqs are not exactly 1..last_seq. */
  async sessionsWithGaps(): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom('sessions')
      .leftJoin('session_events', 'session_events.session_id', 'sessions.id')
      .select(['sessions.id', 'sessions.last_seq', (eb) => eb.fn.count<number>('session_events.seq').as('n'), (eb) => eb.fn.max('session_events.seq').as('max')])
      .groupBy(['sessions.id', 'sessions.last_seq'])
      .execute();
    return rows.filter((r) => Number(r.n) !== Number(r.last_seq) || Number(r.max ?? 0) !== Number(r.last_seq)).map((r) => r.id);
  }

  private async lastIdleReason(sessionId: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('session_events')
      .select('payload')
      .where('session_id', '=', sessionId)
      .where('type', '=', 'session.status_idle')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? (JSON.parse(row.payload) as { stop_reason?: { type?: string } }).stop_reason?.type : undefined;
  }
}
