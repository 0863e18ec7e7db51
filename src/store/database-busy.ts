/**
 * A database that cannot take a request now is a 503 with retry-after (the SDK retries 5xx and
 * honours retry-after), not a 500. Two kinds, both passing without anyone touching this server:
 * - busy: no Postgres connection within DATABASE_POOL_TIMEOUT_MS (pg-pool's wait for a free
 *   client, or a server slow to accept a new one), or SQLite's write lock held by another process
 *   past SQLITE_BUSY_TIMEOUT_MS (SQLITE_BUSY);
 * - unreachable: Postgres refuses or drops the connection (down, restarting, shutting down, the
 *   connection terminated by an administrator, the database gone or closed to connections).
 */
import { ServiceUnavailableError } from '../errors.ts';

export type DatabaseTrouble = 'busy' | 'unreachable';

const POSTGRES_CONNECT_TIMEOUTS = new Set(['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout']);
/** Node's socket errors on connecting to (or talking with) the database server. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * SQLSTATEs of a server that will not serve this connection: admin_shutdown (pg_terminate_backend,
 * a fast shutdown), crash_shutdown, cannot_connect_now (starting up / shutting down / recovering),
 * database_dropped, invalid_catalog_name (the database does not exist, e.g. renamed under us).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P04', '3D000']);

export function databaseTrouble(err: unknown): DatabaseTrouble | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if ((typeof code === 'string' && code.startsWith('SQLITE_BUSY')) || POSTGRES_CONNECT_TIMEOUTS.has(err.message)) return 'busy';
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) return 'unreachable';
  // pg's own errors for a connection the server closed carry no code.
  if (code === undefined && /^Connection terminated( unexpectedly)?$/.test(err.message)) return 'unreachable';
  // A database closed to connections (ALTER DATABASE … ALLOW_CONNECTIONS false): 55000 names other states too.
  if (code === '55000' && /is not currently accepting connections/.test(err.message)) return 'unreachable';
  return undefined;
}

/** The 503 for an error `databaseTrouble` recognises; undefined for any other error. */
export function databaseBusy(err: unknown): ServiceUnavailableError | undefined {
  const trouble = databaseTrouble(err);
  if (!trouble) return undefined;
  const code = (err as { code?: unknown }).code;
  const message = trouble === 'unreachable'
    ? 'the database is unreachable; retry shortly (if it persists, check that the database server is up and accepts connections; the server log has the cause)'
    : `the server is overloaded (${typeof code === 'string' && code.startsWith('SQLITE_BUSY') ? 'the database is locked by another writer' : 'no database connection came free in time'}); retry shortly`;
  return new ServiceUnavailableError(message, { cause: err, headers: { 'retry-after': '1' } });
}
