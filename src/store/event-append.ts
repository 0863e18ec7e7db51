/**
 * The event log's hot write, as one unit each dialect runs in the fewest round trips it can
 * (Postgres: one statement; SQLite: prepared statements in one transaction, see
 * sqlite/sqlite-append.ts and postgres/postgres-append.ts). Invariants, whatever the dialect:
 * - sequence numbers come from bumping sessions.last_seq in the same atomic unit as the inserts,
 *   so they are gapless and unique under any number of writers;
 * - a fenced append checks (owner, token) of the lease in that same unit, locking the lease row
 *   (Postgres) until commit, so a takeover cannot slip in between the check and the commit;
 * - the unit is committed when the promise resolves (the caller publishes only then).
 */
import type { SessionTable } from './schema.ts';

/** Session columns an append may change together with its events (EventLog's SessionPatch). */
export const PATCHABLE_SESSION_COLUMNS = ['status', 'usage', 'active_ms', 'turn_id', 'archived_at', 'title', 'metadata', 'agent', 'budget'] as const;
export type AppendSessionPatch = Partial<Pick<SessionTable, (typeof PATCHABLE_SESSION_COLUMNS)[number]>>;

export interface AppendRow {
  id: string;
  type: string;
  /** The payload column as stored (JSON text). */
  payload: string;
  processedAt: number | null;
}

export interface AppendBatch {
  tenantId: string;
  sessionId: string;
  rows: AppendRow[];
  /** created_at and sessions.updated_at. */
  now: number;
  lease?: { owner: string; token: number };
  sessionPatch?: AppendSessionPatch;
  /** Ids of queued events of this session whose processed_at (null) becomes `markProcessedAt`. */
  markProcessed?: string[];
  markProcessedAt?: number;
}

/** ok: committed, `firstSeq` is the seq of rows[0]. */
export type AppendOutcome = { kind: 'ok'; firstSeq: number } | { kind: 'lease_lost' } | { kind: 'not_found' };

/** The patch's columns in catalogue order, with their values; unknown keys are refused (never reach SQL). */
export function patchEntries(patch: AppendSessionPatch | undefined): [string, unknown][] {
  if (!patch) return [];
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(patch)) {
    if (!(PATCHABLE_SESSION_COLUMNS as readonly string[]).includes(key)) throw new Error(`session column ${JSON.stringify(key)} cannot be patched by an append`);
  }
  for (const column of PATCHABLE_SESSION_COLUMNS) {
    if (column in patch && patch[column] !== undefined) entries.push([column, patch[column]]);
  }
  return entries;
}
