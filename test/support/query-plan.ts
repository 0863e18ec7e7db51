/**
 * Query plans in tests: capture the statements a repository sends, and EXPLAIN one of them on the
 * backend it ran on (Postgres with sequential scans off: a test's few rows fit in one heap page,
 * where a scan is cheaper, and the plan asked for is the one a large table gets).
 */
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import type { Store } from '../../src/store/store.ts';

/** A Kysely instance over `store.db` that records every statement compiled through it. */
export function capturingDb(store: Store): { db: Kysely<Database>; captured: CompiledQuery[] } {
  const captured: CompiledQuery[] = [];
  const db = store.db.withPlugin({
    transformQuery: ({ node, queryId }) => {
      captured.push(store.db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  });
  return { db, captured };
}

/** The plan of `compiled` as text: SQLite's EXPLAIN QUERY PLAN details, Postgres' EXPLAIN lines. */
export async function explain(store: Store, backend: 'sqlite' | 'postgres', compiled: CompiledQuery): Promise<string> {
  if (backend === 'sqlite') {
    const { rows } = await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${inline(compiled.sql, compiled.parameters, '?')}`).execute(store.db);
    return rows.map((r) => r.detail).join('\n');
  }
  return store.db.transaction().execute(async (tx) => {
    await sql.raw('SET LOCAL enable_seqscan = off').execute(tx);
    const { rows } = await sql.raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${inline(compiled.sql, compiled.parameters, '$')}`).execute(tx);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

/** The compiled statement with its parameters written in (EXPLAIN takes no bound parameters here). */
function inline(text: string, params: readonly unknown[], style: '?' | '$'): string {
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  if (style === '?') {
    let i = 0;
    return text.replace(/\?/g, () => literal(params[i++]));
  }
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
}
