/**
 * Several instances on one Postgres (issue 18). Sign-in is shared: with AUTH_DATABASE_URL,
 * better-auth's users and sessions live in Postgres, so a user who signs up on one instance is
 * signed in on the other with the same cookie, and a sign-out on one ends the session on both
 * (repro: each instance kept its own auth.db, and a user signed up on one was unknown on the
 * other). And SIGTERM hands over: the stopping instance gives its leases up and tells the other,
 * which continues the turn at once — here leases last 10 minutes and the sweep runs every 5, so
 * only the handover can finish the turn within the wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { siblingDataDir, startChildServer, type ChildServer } from '../support/child-process.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { ScriptedAgent } from '../../scripts/crash-test/scripted-agent.ts';
import { encodePlan } from '../../scripts/crash-test/plan.ts';
import { loadConfig } from '../../src/config/load.ts';

async function me(baseURL: string, cookie: string): Promise<{ status: number; body: { user?: { email: string }; tenant?: { id: string } } }> {
  const r = await fetch(`${baseURL}/v1/me`, { headers: { cookie } });
  return { status: r.status, body: (await r.json()) as { user?: { email: string }; tenant?: { id: string } } };
}

describe.skipIf(!BACKENDS.includes('postgres'))('two instances sharing sign-in through AUTH_DATABASE_URL', () => {
  let db: TestDatabase;
  let authDb: TestDatabase;
  let a: ChildServer | undefined;
  let b: ChildServer | undefined;
  let fake: FakeModel;
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(new ScriptedAgent().respond);
    db = await createTestDatabase('postgres');
    authDb = await createTestDatabase('postgres');
    const env = { AUTH_DISABLED: '', AUTH_DATABASE_URL: (authDb.database as { url: string }).url, ANTHROPIC_BASE_URL: fake.url, LEASE_TTL_MS: '600000' };
    a = await startChildServer(db, { env: { ...env, INSTANCE_ID: 'auth-a' } });
    b = await startChildServer(db, { env: { ...env, INSTANCE_ID: 'auth-b' }, dataDir: siblingDataDir(db, 'instance-b') });
  }, 90_000);
  afterAll(async () => {
    await a?.kill();
    await b?.kill();
    await db?.drop();
    await authDb?.drop();
    await fake?.close();
  });

  it('signs a user in on both with one cookie, and a sign-out on one ends it on both', async () => {
    const ann = new ConsoleClient(a!.baseURL);
    expect((await ann.signUp('ann@example.com', 'correct horse battery', 'Ann')).status).toBe(200);
    const onA = await me(a!.baseURL, ann.cookieHeader);
    const onB = await me(b!.baseURL, ann.cookieHeader);
    expect(onA.status).toBe(200);
    expect(onB.status).toBe(200);
    expect(onB.body).toEqual(onA.body);
    expect(onB.body.user?.email).toBe('ann@example.com');

    // A user who signs up on B signs in on A.
    const bo = new ConsoleClient(b!.baseURL);
    expect((await bo.signUp('bo@example.com', 'correct horse battery', 'Bo')).status).toBe(200);
    const boOnA = new ConsoleClient(a!.baseURL);
    expect((await boOnA.signIn('bo@example.com', 'correct horse battery')).status).toBe(200);
    expect((await me(a!.baseURL, boOnA.cookieHeader)).body.user?.email).toBe('bo@example.com');

    const cookie = ann.cookieHeader;
    expect((await ann.signOut()).status).toBe(200);
    expect((await me(b!.baseURL, cookie)).status).toBe(401);
  }, 60_000);

  it('SIGTERM hands the running turn over: the other instance continues it at once', async () => {
    const cy = new ConsoleClient(a!.baseURL);
    expect((await cy.signUp('cy@example.com', 'correct horse battery', 'Cy')).status).toBe(200);
    const key = (await cy.request('POST', '/v1/api_keys', { name: 'handover' })).json.key as string;
    const post = async (base: string, path: string, body: unknown) => {
      const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(r.status, await r.clone().text()).toBe(200);
      return (await r.json()) as { id: string };
    };
    const agent = await post(a!.baseURL, '/v1/agents', { name: 'h', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await post(a!.baseURL, '/v1/sessions', { agent: agent.id });
    const text = encodePlan({ sessionTag: 'ho', messageTag: 'm0', chunkDelayMs: 0, textLength: 20, steps: [{ kind: 'bash', sleepMs: 60_000, failOnce: false }] });
    await post(a!.baseURL, `/v1/sessions/${session.id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
    const events = async () => {
      const r = await fetch(`${b!.baseURL}/v1/sessions/${session.id}/events?include_extensions=true&limit=1000`, { headers: { 'x-api-key': key } });
      return ((await r.json()) as { data: { type: string; is_error?: boolean }[] }).data;
    };
    await waitFor(async () => (await events()).some((e) => e.type === 'oma.tool_execution_started') || undefined, { timeoutMs: 20_000, message: 'the tool never started on A' });
    a!.child.kill('SIGTERM');
    expect((await a!.exited).code).toBe(0);
    const done = await waitFor(async () => {
      const list = await events();
      return list.at(-1)?.type === 'session.status_idle' ? list : undefined;
    }, { timeoutMs: 30_000, message: 'B did not take the handed-over session' });
    expect(done.find((e) => e.type === 'agent.tool_result')?.is_error).toBe(true);
  }, 90_000);

  it('refuses AUTH_DATABASE_URL equal to DATABASE_URL', () => {
    const url = (db.database as { url: string }).url;
    expect(() => loadConfig({ DATA_DIR: db.dataDir, DATABASE_URL: url, AUTH_DATABASE_URL: url })).toThrow(/its own database/);
  });
});
