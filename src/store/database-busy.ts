/**
 * A database that cannot take a request now: no Postgres connection within
 * DATABASE_POOL_TIMEOUT_MS (pg-pool's wait for a free client, or a server slow to accept a new
 * one), or SQLite's write lock held by another process past SQLITE_BUSY_TIMEOUT_MS (SQLITE_BUSY). Both pass
 * when the load does, so they are a 503 with retry-after (the SDK retries 5xx and honours
 * retry-after), not a 500.
 */
import { ServiceUnavailableError } from '../errors.ts';

const POSTGRES_CONNECT_TIMEOUTS = new Set(['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout']);

export function databaseBusy(err: unknown): ServiceUnavailableError | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  const sqliteBusy = typeof code === 'string' && code.startsWith('SQLITE_BUSY');
  if (!sqliteBusy && !POSTGRES_CONNECT_TIMEOUTS.has(err.message)) return undefined;
  const what = sqliteBusy ? 'the database is locked by another writer' : 'no database connection came free in time';
  return new ServiceUnavailableError(`the server is overloaded (${what}); retry shortly`, { cause: err, headers: { 'retry-after': '1' } });
}
