/**
 * SQLite through better-sqlite3 (12.x: 13.x crashes on Node 20). One connection per process, so
 * Kysely's connection mutex queues callers; WAL lets readers in other processes (the vault sidecar)
 * see committed data. Write transactions use BEGIN IMMEDIATE so a second process waits on
 * busy_timeout instead of failing on a lock upgrade.
 */
import BetterSqlite3 from 'better-sqlite3';
import { preparePrivateDatabaseFile } from '../../lib/private-files.ts';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type { Database } from '../schema.ts';
import type { StoreDialect } from '../dialect.ts';
import { listSqliteTables } from '../catalog.ts';
import { createSqliteAppend } from './sqlite-append.ts';
import { READ_AUTH_EPOCH_SQL, SQLITE_AUTH_EPOCH } from '../auth-epoch.ts';

export interface SqliteOptions {
  path: string;
  synchronous?: 'FULL' | 'NORMAL' | 'OFF' | 'EXTRA';
  busyTimeoutMs?: number;
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every statement again on each execution, which costs about as
 * much as running a small INSERT. Statements are kept by SQL text (values are always bound
 * parameters, so the texts are our few query shapes), least recently used first out. Reuse is
 * safe because the connection runs one statement at a time behind Kysely's mutex and we never
 * stream (a statement being iterated could not be run again meanwhile).
 */
function withStatementCache(raw: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(text) {
      let statement = cache.get(text);
      if (statement) cache.delete(text);
      else statement = raw.prepare(text);
      cache.set(text, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/**
 * Runs `fn`, a synchronous piece of work on the connection (one read, or one whole transaction of
 * its own), without a Kysely transaction's uncommitted writes around it. With no transaction open
 * on the connection at this instant nothing can interleave with it, so it runs at once, skipping the
 * promise hops of Kysely's connection mutex (on the hot paths: every append, every authenticated
 * request's epoch read); behind an open transaction it waits for the mutex, so it never runs inside
 * (or joins) someone else's.
 */
function outsideTransactions<T>(raw: BetterSqlite3.Database, db: Kysely<Database>, fn: () => T): Promise<T> {
  if (raw.inTransaction) return db.connection().execute(async () => fn());
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

export function createSqliteDialect(options: SqliteOptions): StoreDialect {
  if (options.path !== ':memory:') preparePrivateDatabaseFile(options.path);
  const raw = new BetterSqlite3(options.path);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  raw.pragma('foreign_keys = ON');
  raw.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  // Prepared on first use: the tables exist after migrations.
  let append: ReturnType<typeof createSqliteAppend> | undefined;
  let authEpoch: BetterSqlite3.Statement<[], { epoch: number }> | undefined;

  return {
    kind: 'sqlite',
    description: `sqlite ${options.path}`,
    capabilities: { supportsListenNotify: false, supportsManyWriters: false },
    db,
    async transaction(fn) {
      return db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`COMMIT`.execute(conn);
          return result;
        } catch (err) {
          // Roll back, then rethrow the primary error; a failed rollback (connection gone) is secondary.
          if (raw.inTransaction) await sql`ROLLBACK`.execute(conn);
          throw err;
        }
      });
    },
    appendEvents(batch) {
      return outsideTransactions(raw, db, () => (append ??= createSqliteAppend(raw))(batch));
    },
    authEpochDdl: SQLITE_AUTH_EPOCH,
    readAuthEpoch() {
      // Never a Kysely transaction's uncommitted bump (see outsideTransactions).
      return outsideTransactions(raw, db, () => Number((authEpoch ??= raw.prepare(READ_AUTH_EPOCH_SQL)).get()?.epoch ?? 0));
    },
    async lockForMigration() {
      // BEGIN IMMEDIATE already holds the database's write lock.
    },
    async addColumn(tx, table, column, definition) {
      const { rows } = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(tx);
      if (rows.some((r) => r.name === column)) return;
      await sql.raw(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`).execute(tx);
    },
    isUniqueViolation(err) {
      const code = (err as { code?: string } | null)?.code;
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    listTables: () => listSqliteTables(db),
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
