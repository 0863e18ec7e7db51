/**
 * Logs (issue 18): one access-log line per request at `info` (method, route pattern, status, ms,
 * request id, tenant; never a body, a header or a path's ids and tokens), ISO times in JSON, and
 * LOG_FORMAT=pretty giving readable lines through pino-pretty. Real server processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { waitFor } from '../support/wait-for.ts';

const BODY_MARKER = 'body-marker-7f3a';
const HEADER_SECRET = 'oma_header-secret-91c2';

/** A POST with a Host this server does not answer to (refused before any route: 421). */
function misdirected(server: ChildServer): Promise<{ status: number; requestId: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.baseURL}/v1/agents`, { method: 'POST', headers: { host: 'attacker.example', 'content-type': 'application/json', 'content-length': 2 } });
    req.once('error', reject);
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['request-id']) }));
    });
    req.end('{}');
  });
}

async function exercise(server: ChildServer): Promise<{ created: string; missing: string }> {
  const r = await fetch(`${server.baseURL}/v1/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': HEADER_SECRET },
    body: JSON.stringify({ name: BODY_MARKER, model: 'claude-sonnet-4-6' }),
  });
  expect(r.status).toBe(200);
  const agent = (await r.json()) as { id: string };
  const missing = await fetch(`${server.baseURL}/v1/agents/agent_nope?token=${BODY_MARKER}`);
  expect(missing.status).toBe(404);
  expect(agent.id).toBeTruthy();
  return { created: r.headers.get('request-id')!, missing: missing.headers.get('request-id')! };
}

describe('access log and log formats', () => {
  let db: TestDatabase;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await server?.kill();
    await db?.drop();
  });

  it('JSON: one info line per request with route, status, ms, request id and tenant, nothing secret', async () => {
    server = await startChildServer(db, { env: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' } });
    const ids = await exercise(server);
    const refused = await misdirected(server);
    expect(refused.status).toBe(421);
    const lines = await waitFor(() => {
      const parsed = server!.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const access = parsed.filter((l) => l.requestId === ids.created || l.requestId === ids.missing || l.requestId === refused.requestId);
      return access.length === 3 ? { parsed, access } : undefined;
    }, { timeoutMs: 10_000, message: 'no access-log lines' });
    const [created, missing] = [ids.created, ids.missing].map((id) => lines.access.find((l) => l.requestId === id)!);
    expect(created).toMatchObject({ level: 30, method: 'POST', route: '/v1/agents', status: 200, tenant: 'default' });
    expect(typeof created!.ms).toBe('number');
    expect(missing).toMatchObject({ method: 'GET', route: '/v1/agents/:agent_id', status: 404, tenant: 'default' });
    // Refused by the request gate's Host check, before any route: logged with the status it was answered with.
    expect(lines.access.find((l) => l.requestId === refused.requestId)).toMatchObject({ method: 'POST', status: 421 });
    expect(created!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const everything = server.output();
    expect(everything).not.toContain(BODY_MARKER);
    expect(everything).not.toContain(HEADER_SECRET);
    expect(everything).not.toContain('agent_nope');
    await server.kill();
  }, 60_000);

  it('pretty: readable lines, not JSON', async () => {
    server = await startChildServer(db, { env: { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' } });
    const ids = await exercise(server);
    const line = await waitFor(() => server!.output().split('\n').find((l) => l.includes(ids.created)), { timeoutMs: 10_000, message: 'no pretty access line' });
    expect(server.output()).toMatch(/INFO.*POST \/v1\/agents 200/);
    expect(line.trimStart().startsWith('{')).toBe(false);
    expect(server.output().split('\n').some((l) => l.startsWith('{"level"'))).toBe(false);
    expect(server.output()).not.toContain(BODY_MARKER);
    expect(server.output()).not.toContain(HEADER_SECRET);
  }, 60_000);
});
