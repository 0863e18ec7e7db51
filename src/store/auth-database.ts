/**
 * better-auth's database: its own SQLite file (AUTH_DATABASE_PATH, the single-instance default) or,
 * with AUTH_DATABASE_URL, a Postgres database that several instances share, so a user signed in on
 * one is signed in on all. better-auth creates and migrates its own tables in either; the two user
 * lookups the Console needs are the only queries of ours.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { preparePrivateDatabaseFile } from '../lib/private-files.ts';
import { noteDatabaseEndpoint } from './database-busy.ts';

export interface AuthUserRow {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
}

export interface AuthDatabase {
  /** What better-auth's `database` option takes (a better-sqlite3 Database or a pg Pool). */
  readonly betterAuthDatabase: BetterSqlite3.Database | pg.Pool;
  /** "sqlite /path/auth.db" or "postgres host:port/db", without credentials. */
  readonly description: string;
  findUserByEmail(email: string): Promise<AuthUserRow | undefined>;
  findUsers(ids: string[]): Promise<AuthUserRow[]>;
  close(): Promise<void>;
}

interface RawUser {
  id: string;
  email: string;
  name: string;
  emailVerified: number | boolean;
}

const toRow = (r: RawUser): AuthUserRow => ({ id: r.id, email: r.email, name: r.name, emailVerified: r.emailVerified === true || r.emailVerified === 1 });

function openSqlite(path: string): AuthDatabase {
  preparePrivateDatabaseFile(path);
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  return {
    betterAuthDatabase: database,
    description: `sqlite ${path}`,
    async findUserByEmail(email) {
      const row = database.prepare('SELECT id, email, name, emailVerified FROM user WHERE lower(email) = lower(?)').get(email) as RawUser | undefined;
      return row ? toRow(row) : undefined;
    },
    async findUsers(ids) {
      if (ids.length === 0) return [];
      return (database.prepare(`SELECT id, email, name, emailVerified FROM user WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as RawUser[]).map(toRow);
    },
    async close() {
      database.close();
    },
  };
}

function openPostgres(url: string): AuthDatabase {
  noteDatabaseEndpoint(url);
  const pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 5000, application_name: 'oma auth' });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const u = new URL(url);
  return {
    betterAuthDatabase: pool,
    description: `postgres ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`,
    async findUserByEmail(email) {
      const { rows } = await pool.query<RawUser>('SELECT id, email, name, "emailVerified" FROM "user" WHERE lower(email) = lower($1)', [email]);
      return rows[0] ? toRow(rows[0]) : undefined;
    },
    async findUsers(ids) {
      if (ids.length === 0) return [];
      const { rows } = await pool.query<RawUser>('SELECT id, email, name, "emailVerified" FROM "user" WHERE id = ANY($1)', [ids]);
      return rows.map(toRow);
    },
    close: () => pool.end(),
  };
}

/** Opens the configured auth database (Postgres when `url` is set, else the SQLite file at `path`). */
export function openAuthDatabase(options: { path: string; url?: string }): AuthDatabase {
  return options.url ? openPostgres(options.url) : openSqlite(options.path);
}
