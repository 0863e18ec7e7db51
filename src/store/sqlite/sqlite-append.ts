/**
 * An event append on SQLite as better-sqlite3 prepared statements in one BEGIN IMMEDIATE
 * transaction, run synchronously: no query building, no per-statement promise, one commit (one
 * sync under `synchronous = FULL`) per batch. The caller runs it while holding Kysely's connection
 * mutex, so no Kysely transaction is open on the connection meanwhile (see createSqliteDialect).
 * SQLite has one writer, so the lease check, the seq bump and the inserts cannot interleave with
 * another writer's.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { patchEntries, type AppendBatch, type AppendOutcome } from '../event-append.ts';

export type SqliteAppend = (batch: AppendBatch) => AppendOutcome;

export function createSqliteAppend(raw: BetterSqlite3.Database): SqliteAppend {
  const holds = raw.prepare<[string, string, number]>('UPDATE session_leases SET token = token WHERE session_id = ? AND owner = ? AND token = ?');
  const insert = raw.prepare<[string, number, string, string, string, string, number | null, number]>(
    'INSERT INTO session_events (session_id, seq, id, tenant_id, type, payload, processed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const mark = raw.prepare<[number, string, string]>(
    'UPDATE session_events SET processed_at = ? WHERE session_id = ? AND id IN (SELECT value FROM json_each(?)) AND processed_at IS NULL',
  );
  // One bump statement per set of patched columns (a handful of shapes in practice).
  const bumps = new Map<string, BetterSqlite3.Statement<unknown[], { last_seq: number }>>();
  const bumpFor = (columns: string[]) => {
    const key = columns.join(',');
    let statement = bumps.get(key);
    if (!statement) {
      const set = columns.map((c) => `, ${c} = ?`).join('');
      statement = raw.prepare<unknown[], { last_seq: number }>(`UPDATE sessions SET last_seq = last_seq + ?, updated_at = ?${set} WHERE id = ? AND tenant_id = ? RETURNING last_seq`);
      bumps.set(key, statement);
    }
    return statement;
  };

  const run = raw.transaction((batch: AppendBatch): AppendOutcome => {
    const { sessionId, tenantId, rows, now, lease } = batch;
    if (lease && holds.run(sessionId, lease.owner, lease.token).changes !== 1) return { kind: 'lease_lost' };
    const patch = patchEntries(batch.sessionPatch);
    const bumped = bumpFor(patch.map(([c]) => c)).get(rows.length, now, ...patch.map(([, v]) => v), sessionId, tenantId);
    if (!bumped) return { kind: 'not_found' };
    const first = Number(bumped.last_seq) - rows.length + 1;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      insert.run(sessionId, first + i, r.id, tenantId, r.type, r.payload, r.processedAt, now);
    }
    if (batch.markProcessed?.length) mark.run(batch.markProcessedAt ?? now, sessionId, JSON.stringify(batch.markProcessed));
    return { kind: 'ok', firstSeq: first };
  });

  return (batch) => {
    if (raw.inTransaction) throw new Error('sqlite append started while a transaction is open on the connection');
    return run.immediate(batch);
  };
}
