/**
 * A database that cannot take a request now is a 503 api_error with retry-after (which the SDK
 * retries), not a 500, logged once rather than once per request; and the server recovers when the
 * load passes. Postgres: a pool of 2 whose connections are both held by requests blocked on a
 * table lock, so the next requests find no free connection within DATABASE_POOL_TIMEOUT_MS.
 * SQLite: another process holds the write lock past the busy timeout (SQLITE_BUSY).
 * An unreachable Postgres is a 503 with retry-after as well (its own log line, once), and /health
 * says so with a 503 rather than hanging: the server's connections are terminated
 * (pg_terminate_backend) and its database closed to new ones (ALLOW_CONNECTIONS false), then
 * opened again. Postgres only: a SQLite file has no connection to lose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createTestDatabase } from '../support/backends.ts';
import { expectError, raw, type RawResponse } from '../support/http.ts';
import { waitFor } from '../support/wait-for.ts';

const MODEL = 'claude-sonnet-4-6';

function expectBusy(res: RawResponse): void {
  expectError(res, 503, 'api_error', /overloaded.*retry shortly/);
  expect(res.headers.get('retry-after')).toBe('1');
}

function logLines(s: TestServer, prefix: string): { busyResponses?: number; unreachableResponses?: number }[] {
  return s.logLines.map((l) => JSON.parse(l) as { msg: string; busyResponses?: number; unreachableResponses?: number }).filter((l) => l.msg.startsWith(prefix));
}

function busyLogLines(s: TestServer) {
  return logLines(s, 'database busy');
}

function expectUnreachable(res: RawResponse): void {
  expectError(res, 503, 'api_error', /database is unreachable; retry shortly/);
  expect(res.headers.get('retry-after')).toBe('1');
}

/** A client on the same Postgres server's maintenance database, and the name of the server's database. */
async function adminOf(s: TestServer): Promise<{ admin: pg.Client; name: string }> {
  const url = new URL(s.config.database.kind === 'postgres' ? s.config.database.url : '');
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  return { admin, name };
}

describe('a busy database (postgres): no free connection in the pool', () => {
  let s: TestServer;
  let holder: pg.Client;
  let watcher: pg.Client;
  beforeAll(async () => {
    s = await startTestServer('postgres', { env: { DATABASE_POOL_MAX: '2', DATABASE_POOL_TIMEOUT_MS: '200', LOG_LEVEL: 'warn' }, captureLogs: true });
    const url = s.config.database.kind === 'postgres' ? s.config.database.url : '';
    holder = new pg.Client({ connectionString: url });
    watcher = new pg.Client({ connectionString: url });
    await holder.connect();
    await watcher.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await watcher?.end();
    await s?.stop();
  });

  it('is a 503 with retry-after while it lasts, logged once, and the SDK retries through it', async () => {
    const agent = await s.client.beta.agents.create({ name: 'busy', model: MODEL });
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE agents IN ACCESS EXCLUSIVE MODE');
    // Two lists take both connections and wait on the lock, holding them.
    const blocked = [raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey }), raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey })];
    await waitFor(async () => {
      const { rows } = await watcher.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      return rows[0]!.n >= 2;
    }, { message: 'two requests waiting on the lock' });

    // Every other request (whatever it reads) waits for a connection, then gets the 503.
    const storm = await Promise.all([
      ...Array.from({ length: 4 }, () => raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey })),
      raw(s.baseURL, 'GET', '/v1/sessions', { apiKey: s.apiKey }),
      raw(s.baseURL, 'POST', '/v1/environments', { apiKey: s.apiKey, body: JSON.stringify({ name: 'busy-env' }) }),
    ]);
    for (const res of storm) expectBusy(res);
    expect(new Set(storm.map((r) => r.json.request_id)).size).toBe(storm.length);
    // One log line for the storm, not one per request.
    await waitFor(() => busyLogLines(s).length >= 1);
    expect(busyLogLines(s)).toHaveLength(1);

    // The official SDK retries the 503 after retry-after; the lock goes away after its first try.
    const statuses: number[] = [];
    const client = new Anthropic({
      apiKey: s.apiKey,
      baseURL: s.baseURL,
      maxRetries: 2,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        if (res.status === 503) await holder.query('COMMIT');
        return res;
      },
    });
    const page = await client.beta.agents.list();
    expect(statuses).toEqual([503, 200]);
    expect(page.data.map((a) => a.id)).toEqual([agent.id]);

    // The requests that held the connections finish, and the server serves as before.
    for (const res of await Promise.all(blocked)) expect(res.status).toBe(200);
    expect((await raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey })).status).toBe(200);
    expect((await s.client.beta.environments.create({ name: 'after-busy' })).name).toBe('after-busy');
    expect(busyLogLines(s)).toHaveLength(1);
  });
});

describe('a busy database (sqlite): another process holds the write lock', () => {
  let s: TestServer;
  let other: BetterSqlite3.Database;
  beforeAll(async () => {
    const db = await createTestDatabase('sqlite');
    if (db.database.kind === 'sqlite') db.database = { ...db.database, busyTimeoutMs: 100 };
    s = await startTestServer('sqlite', { db, env: { LOG_LEVEL: 'warn' }, captureLogs: true });
    other = new BetterSqlite3(db.database.kind === 'sqlite' ? db.database.path : '');
  });
  afterAll(async () => {
    other?.close();
    await s?.stop();
    await s?.db.drop();
  });

  it('is a 503 with retry-after for writes while it lasts; reads go on; writes work again after', async () => {
    const agent = await s.client.beta.agents.create({ name: 'before', model: MODEL });
    other.exec('BEGIN IMMEDIATE');
    const write = () => raw(s.baseURL, 'POST', '/v1/agents', { apiKey: s.apiKey, body: JSON.stringify({ name: 'during', model: MODEL }) });
    expectBusy(await write());
    expectBusy(await write());
    const read = await raw(s.baseURL, 'GET', `/v1/agents/${agent.id}`, { apiKey: s.apiKey });
    expect(read.status).toBe(200);
    expect(busyLogLines(s)).toHaveLength(1);
    other.exec('COMMIT');
    expect((await write()).status).toBe(200);
    expect((await s.client.beta.agents.list()).data.map((a) => a.name).sort()).toEqual(['before', 'during']);
  });
});

describe('an unreachable database (postgres)', () => {
  let s: TestServer;
  let admin: pg.Client;
  let name: string;
  let holder: pg.Client;
  beforeAll(async () => {
    s = await startTestServer('postgres', { env: { LOG_LEVEL: 'warn' }, captureLogs: true });
    ({ admin, name } = await adminOf(s));
    holder = new pg.Client({ connectionString: s.config.database.kind === 'postgres' ? s.config.database.url : '' });
    await holder.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    await admin?.end();
    await s?.stop();
  });

  it('is a 503 with retry-after while it lasts (logged once), /health says so, and the server recovers', async () => {
    const agent = await s.client.beta.agents.create({ name: 'reachable', model: MODEL });
    // A request whose connection is terminated while it waits (on a lock): 57P01.
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE agents IN ACCESS EXCLUSIVE MODE');
    const inFlight = raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey });
    const waiting = await waitFor(async () => {
      const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [name]);
      return rows[0]?.pid;
    }, { message: 'the request waiting on the lock' });
    await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
    expectUnreachable(await inFlight);
    await holder.query('COMMIT');
    await holder.end();

    // The database refuses every connection: whatever a request reads or writes, a 503.
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    const storm = await Promise.all([
      ...Array.from({ length: 3 }, () => raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey })),
      raw(s.baseURL, 'GET', `/v1/agents/${agent.id}`, { apiKey: s.apiKey }),
      raw(s.baseURL, 'POST', '/v1/environments', { apiKey: s.apiKey, body: JSON.stringify({ name: 'unreachable-env' }) }),
    ]);
    for (const res of storm) expectUnreachable(res);
    const health = await raw(s.baseURL, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/database unreachable: .*not currently accepting connections/) });
    // One log line for all of it (the busy kind is not touched), counting the answers.
    expect(logLines(s, 'database unreachable')).toEqual([expect.objectContaining({ unreachableResponses: 1 })]);
    expect(busyLogLines(s)).toEqual([]);

    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    expect((await raw(s.baseURL, 'GET', '/health')).status).toBe(200);
    expect((await s.client.beta.agents.list()).data.map((a) => a.id)).toEqual([agent.id]);
    expect((await s.client.beta.environments.create({ name: 'after-unreachable' })).name).toBe('after-unreachable');
    expect(logLines(s, 'database unreachable')).toHaveLength(1);
  });
});

describe('/health while no connection comes free (postgres)', () => {
  let s: TestServer;
  let holder: pg.Client;
  beforeAll(async () => {
    // Requests would wait a minute for a connection; /health must not.
    s = await startTestServer('postgres', { env: { DATABASE_POOL_MAX: '2', DATABASE_POOL_TIMEOUT_MS: '60000', LOG_LEVEL: 'warn' } });
    holder = new pg.Client({ connectionString: s.config.database.kind === 'postgres' ? s.config.database.url : '' });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await s?.stop();
  });

  it('answers 503 with the reason instead of waiting for the pool', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE agents IN ACCESS EXCLUSIVE MODE');
    const blocked = [raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey }), raw(s.baseURL, 'GET', '/v1/agents', { apiKey: s.apiKey })];
    await waitFor(async () => {
      const { rows } = await holder.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      return rows[0]!.n >= 2;
    }, { message: 'two requests waiting on the lock' });
    const health = await raw(s.baseURL, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/database unreachable: no answer within \d+ ms/) });
    await holder.query('COMMIT');
    for (const res of await Promise.all(blocked)) expect(res.status).toBe(200);
    expect((await raw(s.baseURL, 'GET', '/health')).status).toBe(200);
  }, 30_000);
});
