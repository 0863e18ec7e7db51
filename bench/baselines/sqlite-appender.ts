/**
 * The bare-metal version of an event append on SQLite: one better-sqlite3 connection with the
 * server's pragmas, prepared statements, and the same transaction the event log runs (bump the
 * session's last_seq, insert the row), with none of our layers in between.
 */
import BetterSqlite3 from 'better-sqlite3';
import { newId } from '../../src/lib/ids.ts';
import { EVENT_INSERT_SQL } from '../databases.ts';

export interface AppendedRow {
  seq: number;
  id: string;
  createdAt: number;
}

export interface RawEvent {
  tenantId: string;
  sessionId: string;
  type: string;
  /** The payload column as stored (JSON text). */
  payloadJson: string;
}

export interface SqliteAppender {
  /** Appends one event; undefined when the session is not in the tenant. */
  append(event: RawEvent): AppendedRow | undefined;
  close(): void;
}

export function openSqliteAppender(path: string, synchronous: string): SqliteAppender {
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`synchronous = ${synchronous}`);
  const bump = raw.prepare<[number, string, string], { last_seq: number }>('UPDATE sessions SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? AND tenant_id = ? RETURNING last_seq');
  const insert = raw.prepare(EVENT_INSERT_SQL.replace(/\$\d+/g, '?'));
  const append = raw.transaction(({ tenantId, sessionId, type, payloadJson }: RawEvent): AppendedRow | undefined => {
    const now = Date.now();
    const bumped = bump.get(now, sessionId, tenantId);
    if (!bumped) return undefined;
    const id = newId('sevt');
    insert.run(sessionId, bumped.last_seq, id, tenantId, type, payloadJson, now, now);
    return { seq: Number(bumped.last_seq), id, createdAt: now };
  });
  return {
    append: (event) => append.immediate(event),
    close: () => raw.close(),
  };
}
