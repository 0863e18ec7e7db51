/**
 * Temporary databases for the suites (a temp SQLite file, or a database created on the local
 * Postgres server and dropped afterwards, exactly as the test suite makes them) and the raw
 * driver over the same database that the baselines use. Benchmarks are the one place outside
 * store/ that talks to better-sqlite3 and pg directly: the raw driver is what they measure against.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../test/support/backends.ts';
import type { SessionTable } from '../src/store/schema.ts';

export type Synchronous = 'FULL' | 'NORMAL';

/** A fresh database; SQLite ones use the given `synchronous` pragma (the server's default is FULL). */
export async function createBenchDatabase(backend: 'sqlite' | 'postgres', synchronous: Synchronous = 'FULL'): Promise<TestDatabase> {
  const db = await createTestDatabase(backend);
  if (db.database.kind === 'sqlite') db.database = { ...db.database, synchronous };
  return db;
}

/** Raw statements on the bench database. SQL uses $1, $2 … in order; SQLite gets them as `?`. */
export interface RawDriver {
  run(text: string, params?: unknown[]): Promise<void>;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements without parameters (bulk seeding). */
  exec(text: string): Promise<void>;
  close(): Promise<void>;
}

export function openRawDriver(db: TestDatabase, poolSize = 10): RawDriver {
  return db.database.kind === 'sqlite' ? openRawSqlite(db.database.path, db.database.synchronous) : openRawPostgres(db.database.url, poolSize);
}

function openRawSqlite(path: string, synchronous: string): RawDriver {
  // The same pragmas the server's dialect sets, so the baseline pays the same durability cost.
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`synchronous = ${synchronous}`);
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (text: string) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = raw.prepare(text.replace(/\$\d+/g, '?'));
      statements.set(text, statement);
    }
    return statement;
  };
  return {
    async run(text, params = []) {
      prepare(text).run(...params);
    },
    async query<T>(text: string, params: unknown[] = []) {
      return prepare(text).all(...params) as T[];
    },
    async exec(text) {
      raw.exec(text);
    },
    async close() {
      raw.close();
    },
  };
}

function openRawPostgres(url: string, poolSize: number): RawDriver {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', () => undefined); // An idle client dropped by the server is reported by the next query.
  return {
    async run(text, params = []) {
      await pool.query(text, params);
    },
    async query<T>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as T[];
    },
    async exec(text) {
      await pool.query(text);
    },
    async close() {
      await pool.end();
    },
  };
}

/** The column list of session_events, in the order `eventRowParams` gives the values. */
export const EVENT_INSERT_SQL =
  'INSERT INTO session_events (session_id, seq, id, tenant_id, type, payload, processed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)';

/** A sessions row with neutral defaults (idle, no agent unless given). */
export function sessionRow(id: string, tenantId: string, overrides: Partial<SessionTable> = {}): SessionTable {
  const now = Date.now();
  return {
    id, tenant_id: tenantId, agent_id: null, agent_version: null, agent: null, environment_id: 'env_bench', title: null,
    metadata: '{}', vault_ids: '[]', resources: '[]', status: 'idle', last_seq: 0,
    usage: '{"input_tokens":0,"output_tokens":0,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}',
    active_ms: 0, created_at: now, updated_at: now, archived_at: null, turn_id: null, environment_config: null, ...overrides,
  };
}

/** The payload every append benchmark writes: an agent.message with ~100 characters of text. */
export const MESSAGE_PAYLOAD = { content: [{ type: 'text' as const, text: 'The quick brown fox jumps over the lazy dog. '.repeat(2).trim() }] };
