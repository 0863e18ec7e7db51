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
 * The Postgres servers this process talks to (noted by the pools that connect to them). A socket
 * error is the database's only when it names one of them — its port, its Unix socket or its host
 * name — so a refused connection to S3, a model API or an MCP server is not reported as the
 * database being down.
 */
const databasePorts = new Set<number>();
const databaseHosts = new Set<string>();

export function noteDatabaseEndpoint(url: string): void {
  try {
    const u = new URL(url);
    databasePorts.add(u.port ? Number(u.port) : 5432);
    if (u.hostname) databaseHosts.add(decodeURIComponent(u.hostname));
  } catch {
    // An unparseable URL fails at connect with its own error; nothing to note.
  }
}

function fromDatabaseSocket(err: Error): boolean {
  const { port, address, hostname } = err as { port?: unknown; address?: unknown; hostname?: unknown };
  return (typeof port === 'number' && databasePorts.has(port))
    || (typeof address === 'string' && address.includes('/.s.PGSQL.'))
    || (typeof hostname === 'string' && databaseHosts.has(hostname));
}
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
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return 'unreachable';
  if (typeof code === 'string' && SOCKET_CODES.has(code) && fromDatabaseSocket(err)) return 'unreachable';
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
