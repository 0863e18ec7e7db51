/**
 * Postgres through pg. BIGINT columns come back as JS numbers (epoch ms and sequence numbers stay
 * far below 2^53). Migrations serialise on an advisory transaction lock so several instances can
 * boot at once.
 */
import pg from 'pg';
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from '../schema.ts';
import type { StoreDialect } from '../dialect.ts';
import { listPostgresTables } from '../catalog.ts';
import { listenPostgres } from './pg-listener.ts';
import { appendOnPostgres } from './postgres-append.ts';
import { POSTGRES_AUTH_EPOCH, READ_AUTH_EPOCH_SQL } from '../auth-epoch.ts';
import { noteDatabaseEndpoint } from '../database-busy.ts';

const INT8_OID = 20;
const MIGRATION_LOCK_KEY = 7_307_346_011; // Arbitrary constant shared by every oma instance.

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
  /** How long a query waits for a free connection before it fails (a 503: database-busy.ts). */
  connectionTimeoutMs?: number;
  /** This server instance's id; the connections' application_name carries it (notification origin). */
  instanceId?: string;
}

/** "oma <instance id>", within Postgres' 63-byte application_name (a hash of the id when longer). */
export function applicationNameFor(instanceId: string | undefined): string {
  if (instanceId === undefined) return 'oma';
  const name = `oma ${instanceId}`;
  return Buffer.byteLength(name) <= 63 && /^[\x20-\x7e]*$/.test(name) ? name : `oma ${createHash('sha256').update(instanceId).digest('hex').slice(0, 32)}`;
}

/** "host:port/db" of a connection URL, never its password. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

export function createPostgresDialect(options: PostgresOptions): StoreDialect {
  const applicationName = applicationNameFor(options.instanceId);
  noteDatabaseEndpoint(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    application_name: applicationName,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  return {
    kind: 'postgres',
    description: `postgres ${describePostgresUrl(options.url)}`,
    capabilities: { supportsListenNotify: true, supportsManyWriters: true },
    db,
    origin: applicationName,
    listen(channel, handlers) {
      return listenPostgres({ url: options.url, applicationName }, channel, handlers);
    },
    transaction(fn) {
      return db.transaction().execute(fn);
    },
    appendEvents: (batch) => appendOnPostgres(db, pool, batch),
    authEpochDdl: POSTGRES_AUTH_EPOCH,
    async readAuthEpoch() {
      const { rows } = await pool.query<{ epoch: number }>(READ_AUTH_EPOCH_SQL);
      return Number(rows[0]?.epoch ?? 0);
    },
    async lockForMigration(tx) {
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(tx);
    },
    async addColumn(tx, table, column, definition) {
      await sql.raw(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${definition}`).execute(tx);
    },
    isUniqueViolation(err) {
      return (err as { code?: string } | null)?.code === '23505';
    },
    listTables: () => listPostgresTables(db),
    async notify(channel, payload) {
      await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);
    },
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}
