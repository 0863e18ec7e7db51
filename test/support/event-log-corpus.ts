/**
 * The frozen corpus of real event logs (test/fixtures/event-logs/): how it is read, and how a run
 * of the suite or of the crash test writes new candidates for it. With OMA_RECORD_EVENT_LOGS=<dir>,
 * every test server (at stop) and every crash-test run (at its end) writes each session's log to
 * <dir>/<prefix>-<n>.jsonl, one stored row per line. Recorded files are candidates: a person picks
 * some, names them <version>-<scenario>.jsonl, and freezes the state they derive (`.state.json`).
 * Frozen files are never regenerated; changing one is a format change.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../src/store/store.ts';
import type { StoredEvent } from '../../src/events/types.ts';

export const CORPUS_DIR = join(import.meta.dirname, '..', 'fixtures', 'event-logs');

/** One line of a corpus file: a session_events row with its payload parsed. */
export interface CorpusRow {
  session_id: string;
  seq: number;
  id: string;
  type: string;
  payload: Record<string, unknown>;
  processed_at: number | null;
  created_at: number;
}

export function readCorpusLog(path: string): StoredEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const row = JSON.parse(line) as CorpusRow;
      return { sessionId: row.session_id, seq: row.seq, id: row.id, type: row.type, payload: row.payload, processedAt: row.processed_at, createdAt: row.created_at };
    });
}

/** Writes every session's log in `store` to `<dir>/<prefix>-<n>.jsonl`; returns the paths. */
export async function recordEventLogs(store: Store, dir: string, prefix: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const sessions = await store.db.selectFrom('sessions').select('id').orderBy('created_at', 'asc').execute();
  const paths: string[] = [];
  for (const [index, { id }] of sessions.entries()) {
    const rows = await store.db.selectFrom('session_events').selectAll().where('session_id', '=', id).orderBy('seq', 'asc').execute();
    if (rows.length === 0) continue;
    const lines = rows.map((row) => JSON.stringify({
      session_id: row.session_id, seq: Number(row.seq), id: row.id, type: row.type, payload: JSON.parse(row.payload) as unknown,
      processed_at: row.processed_at === null ? null : Number(row.processed_at), created_at: Number(row.created_at),
    }));
    const path = join(dir, `${prefix}-${String(index + 1).padStart(2, '0')}.jsonl`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    paths.push(path);
  }
  return paths;
}

/** JSON with object keys sorted, undefined fields dropped: equal states give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** What a frozen log must derive: the state after the whole log, and a digest of the state after each event. */
export interface FrozenStates {
  final: unknown;
  /** sha256 (hex) of canonicalJson(state after events 1..n), for n = 1..length. */
  prefixes: string[];
}
