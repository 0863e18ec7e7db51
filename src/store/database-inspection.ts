/**
 * A read-only look at a database for `oma doctor`: reachable or not, which migration level it is
 * at against this build's, and the stored root-secret check value. Never migrates or writes.
 */
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import type { Config } from '../config/schema.ts';
import { createSqliteDialect } from './sqlite/sqlite-dialect.ts';
import { createPostgresDialect } from './postgres/postgres-dialect.ts';
import { MIGRATIONS } from './migrations.ts';
import type { StoreDialect } from './dialect.ts';

export type DatabaseInspection =
  | { state: 'missing' }
  | { state: 'unreachable'; error: string }
  | { state: 'ok'; description: string; level: number; latest: number; pending: number[]; checkValue?: string };

async function read(dialect: StoreDialect): Promise<DatabaseInspection> {
  await dialect.ping();
  const tables = new Set((await dialect.listTables()).map((t) => t.name));
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  let done = new Set<number>();
  if (tables.has('schema_migrations')) {
    const { rows } = await sql<{ version: number }>`SELECT version FROM schema_migrations`.execute(dialect.db);
    done = new Set(rows.map((r) => Number(r.version)));
  }
  let checkValue: string | undefined;
  if (tables.has('platform_meta')) {
    const { rows } = await sql<{ value: string }>`SELECT value FROM platform_meta WHERE key = 'platform_root_secret_check'`.execute(dialect.db);
    checkValue = rows[0]?.value;
  }
  return {
    state: 'ok',
    description: dialect.description,
    level: Math.max(0, ...done),
    latest,
    pending: MIGRATIONS.map((m) => m.version).filter((v) => !done.has(v)),
    checkValue,
  };
}

export async function inspectDatabase(database: Config['database']): Promise<DatabaseInspection> {
  if (database.kind === 'sqlite' && !existsSync(database.path)) return { state: 'missing' };
  let dialect: StoreDialect | undefined;
  try {
    dialect = database.kind === 'sqlite' ? createSqliteDialect({ path: database.path }) : createPostgresDialect({ url: database.url, maxConnections: 1 });
    return await read(dialect);
  } catch (err) {
    return { state: 'unreachable', error: (err as Error).message.split('\n')[0]! };
  } finally {
    await dialect?.close();
  }
}
