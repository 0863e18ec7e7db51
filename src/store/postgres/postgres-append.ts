/**
 * An event append on Postgres in one statement, so one round trip and no explicit transaction (a
 * statement is atomic): data-modifying CTEs check the lease (an UPDATE of nothing, which locks the
 * lease row until commit exactly as LeasesRepository.holds does), bump sessions.last_seq (and the
 * patched columns) only when the lease held, insert every row of the batch from arrays, and mark
 * the consumed input processed. The CTEs see one snapshot and run to completion whether or not the
 * final SELECT reads them; `bumped` reads `lease` and `inserted`/`marked` read `bumped`, which orders
 * them. READ COMMITTED re-checks the lease row's WHERE after waiting on a concurrent takeover, so a
 * superseded token matches nothing and nothing is written.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.ts';
import { patchEntries, type AppendBatch, type AppendOutcome } from '../event-append.ts';

/** The slice of pg.Pool the append uses: a named (server-side prepared) query. */
export interface PreparedQueryPool {
  query<R>(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: R[] }>;
}

/**
 * Statement names by statement text. The text depends only on the batch's shape (lease or not, rows
 * or not, consumed input or not, which session columns), never on its values, so a handful of names
 * cover every append and each connection parses and plans each shape once (pg prepares a named
 * statement on a connection the first time it runs it there). Bounded anyway, in case of a bug.
 */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 512;

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `oma_append_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (statementNames.size < MAX_STATEMENT_NAMES) statementNames.set(text, name);
  }
  return name;
}

export async function appendOnPostgres(db: Kysely<Database>, pool: PreparedQueryPool, batch: AppendBatch): Promise<AppendOutcome> {
  const { sessionId, tenantId, rows, now, lease } = batch;
  const n = rows.length;
  const patch = patchEntries(batch.sessionPatch).map(([column, value]) => sql`, ${sql.ref(column)} = ${value}`);
  const leaseCte: RawBuilder<unknown> = lease
    ? sql`lease AS (UPDATE session_leases SET token = token WHERE session_id = ${sessionId} AND owner = ${lease.owner} AND token = ${lease.token} RETURNING 1),`
    : sql`lease AS (SELECT 1),`;
  const marks = batch.markProcessed ?? [];
  const markCte = marks.length > 0
    ? sql`, marked AS (UPDATE session_events SET processed_at = ${batch.markProcessedAt ?? now}
          WHERE session_id = ${sessionId} AND id = ANY(${marks}::text[]) AND processed_at IS NULL AND EXISTS (SELECT 1 FROM bumped) RETURNING 1)`
    : sql``;
  const insertCte = n > 0
    ? sql`, inserted AS (INSERT INTO session_events (session_id, seq, id, tenant_id, type, payload, processed_at, created_at)
          SELECT ${sessionId}, bumped.last_seq - ${n}::bigint + e.ord, e.id, ${tenantId}, e.type, e.payload, e.processed_at, ${now}::bigint
          FROM bumped, unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.type)}::text[], ${rows.map((r) => r.payload)}::text[],
            ${rows.map((r) => r.processedAt)}::bigint[]) WITH ORDINALITY AS e(id, type, payload, processed_at, ord)
          RETURNING 1)`
    : sql``;
  const compiled = sql<{ last_seq: number | null; leased: boolean }>`
    WITH ${leaseCte}
    bumped AS (UPDATE sessions SET last_seq = last_seq + ${n}::bigint, updated_at = ${now}::bigint${patch.length > 0 ? sql.join(patch, sql``) : sql``}
      WHERE id = ${sessionId} AND tenant_id = ${tenantId} AND EXISTS (SELECT 1 FROM lease) RETURNING last_seq)
    ${insertCte}${markCte}
    SELECT (SELECT last_seq FROM bumped) AS last_seq, EXISTS (SELECT 1 FROM lease) AS leased`.compile(db);
  // Straight to the pool as a named statement: Kysely's unnamed queries are parsed and planned on
  // every call, which for this statement (four CTEs) cost about as much server CPU as the writes.
  const { rows: result } = await pool.query<{ last_seq: number | null; leased: boolean }>({
    name: statementName(compiled.sql), text: compiled.sql, values: compiled.parameters,
  });
  const row = result[0]!;
  if (!row.leased) return { kind: 'lease_lost' };
  if (row.last_seq === null) return { kind: 'not_found' };
  return { kind: 'ok', firstSeq: Number(row.last_seq) - n + 1 };
}
