/**
 * Webhook delivery across crashes and instances, with the real server as child processes: kill -9
 * between the change and its delivery, kill -9 during a POST, and two instances on one Postgres.
 * The receiver verifies every delivery with the SDK's own `webhooks.unwrap`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { siblingDataDir, startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, text, type FakeModel } from '../support/fake-model/index.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

const MODEL = 'claude-sonnet-4-6';
const client = (baseURL: string) => new Anthropic({ apiKey: 'unused', baseURL, maxRetries: 0 });

async function createEndpoint(baseURL: string, url: string): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${baseURL}/v1/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; secret: string };
}

/** Distinct deliveries the receiver got at `path` (verified), by webhook-id, in first-arrival order. */
function verified(c: Anthropic, receiver: WebhookReceiver, path: string, secret: string) {
  const seen = new Map<string, { type: string; session: string; count: number }>();
  for (const d of receiver.at(path)) {
    const event = c.beta.webhooks.unwrap(d.body, { headers: d.headers, key: secret });
    expect(d.headers['webhook-id']).toBe(event.id);
    const prior = seen.get(event.id);
    if (prior) prior.count++;
    else seen.set(event.id, { type: event.data.type, session: event.data.id, count: 1 });
  }
  return seen;
}

describe.each(BACKENDS)('webhooks survive kill -9 (%s)', (backend) => {
  let db: TestDatabase;
  let fake: FakeModel;
  let receiver: WebhookReceiver;
  let server: ChildServer | undefined;
  const env = (pollMs: number) => ({ VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: String(pollMs), INSTANCE_ID: `crash-${backend}` });
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.script(Array.from({ length: 10 }, () => text('done')));
    receiver = await startWebhookReceiver();
    db = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await server?.kill();
    await receiver?.close();
    await fake?.close();
    await db?.drop();
  });

  it('neither loses nor invents a delivery when killed after the change or during the POST', async () => {
    // The first server never polls (60 s): the session's events are committed, not yet fanned out.
    server = await startChildServer(db, { env: { ANTHROPIC_BASE_URL: fake.url, ...env(60_000) } });
    const endpoint = await createEndpoint(server.baseURL, `${receiver.url}/hook`);
    let c = client(server.baseURL);
    const agent = await c.beta.agents.create({ name: 'crash', model: MODEL });
    const envId = (await c.beta.environments.create({ name: 'crash-env' })).id;
    const session = await c.beta.sessions.create({ agent: agent.id, environment_id: envId });
    await c.beta.sessions.events.send(session.id, { events: [userMessage('hi')] });
    await waitForIdle(c, session.id);
    await server.kill();
    expect(receiver.at('/hook')).toHaveLength(0);

    // Restarted (same DATA_DIR and instance id), polling: everything committed arrives, once each, in order.
    server = await startChildServer(db, { port: server.port, env: { ANTHROPIC_BASE_URL: fake.url, ...env(100) } });
    c = client(server.baseURL);
    const first = await waitFor(() => {
      const seen = verified(c, receiver, '/hook', endpoint.secret);
      return seen.size >= 3 ? seen : undefined;
    }, { timeoutMs: 30_000, message: 'the three events of the first turn' });
    expect([...first.values()]).toEqual([
      { type: 'session.created', session: session.id, count: 1 },
      { type: 'session.status_run_started', session: session.id, count: 1 },
      { type: 'session.status_idled', session: session.id, count: 1 },
    ]);

    // The next delivery hangs at the receiver; the server is killed during that POST.
    const before = receiver.at('/hook').length;
    receiver.respond('/hook', (n) => (n === before + 1 ? 0 : 200));
    await c.beta.sessions.archive(session.id);
    await waitFor(() => receiver.at('/hook').length > before, { timeoutMs: 30_000, message: 'the archive events are being sent' });
    await server.kill();
    server = await startChildServer(db, { port: server.port, env: { ANTHROPIC_BASE_URL: fake.url, ...env(100) } });
    const all = await waitFor(() => {
      const seen = verified(c, receiver, '/hook', endpoint.secret);
      return seen.size >= 5 && [...seen.values()].find((e) => e.type === 'session.status_terminated')!.count >= 2 ? seen : undefined;
    }, { timeoutMs: 30_000, message: 'the archive events after the restart' });
    // The interrupted one came again with the same webhook-id (at least once); nothing else was invented.
    expect([...all.values()].map((e) => [e.type, e.count])).toEqual([
      ['session.created', 1], ['session.status_run_started', 1], ['session.status_idled', 1], ['session.status_terminated', 2], ['session.archived', 1],
    ]);
    const deliveries = await waitFor(async () => {
      const page = (await (await fetch(`${server!.baseURL}/v1/webhooks/${endpoint.id}/deliveries`)).json()) as { data: { status: string; event_type: string }[] };
      return page.data.every((d) => d.status === 'delivered') ? page.data : undefined;
    }, { timeoutMs: 30_000, message: 'every delivery recorded as delivered' });
    expect(deliveries).toHaveLength(5);
  }, 240_000);
});

describe.skipIf(!BACKENDS.includes('postgres'))('two instances on one Postgres deliver each event once', () => {
  let db: TestDatabase;
  let fake: FakeModel;
  let receiver: WebhookReceiver;
  let a: ChildServer | undefined;
  let b: ChildServer | undefined;
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.script(Array.from({ length: 20 }, () => text('done')));
    receiver = await startWebhookReceiver();
    db = await createTestDatabase('postgres');
    const env = { ANTHROPIC_BASE_URL: fake.url, VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '50' };
    a = await startChildServer(db, { env: { ...env, INSTANCE_ID: 'webhooks-a' } });
    b = await startChildServer(db, { env: { ...env, INSTANCE_ID: 'webhooks-b' }, dataDir: siblingDataDir(db, 'instance-b') });
  }, 90_000);
  afterAll(async () => {
    await a?.kill();
    await b?.kill();
    await receiver?.close();
    await fake?.close();
    await db?.drop();
  });

  it('sessions on both instances: every lifecycle event arrives once per endpoint, in order per session', async () => {
    const endpoints = [await createEndpoint(a!.baseURL, `${receiver.url}/one`), await createEndpoint(b!.baseURL, `${receiver.url}/two`)];
    const [ca, cb] = [client(a!.baseURL), client(b!.baseURL)];
    const agent = await ca.beta.agents.create({ name: 'two', model: MODEL });
    const envId = (await ca.beta.environments.create({ name: 'two-env' })).id;
    const sessions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = i % 2 === 0 ? ca : cb;
      const s = await c.beta.sessions.create({ agent: agent.id, environment_id: envId });
      await c.beta.sessions.events.send(s.id, { events: [userMessage(`hi ${i}`)] });
      sessions.push(s.id);
    }
    for (const id of sessions) await waitForIdle(ca, id);
    for (const [i, endpoint] of endpoints.entries()) {
      const path = i === 0 ? '/one' : '/two';
      await waitFor(async () => {
        const page = (await (await fetch(`${a!.baseURL}/v1/webhooks/${endpoint.id}/deliveries?limit=100`)).json()) as { data: { status: string }[] };
        return page.data.length === sessions.length * 3 && page.data.every((d) => d.status === 'delivered');
      }, { timeoutMs: 60_000, message: `every delivery of ${path} recorded as delivered` });
      const seen = verified(ca, receiver, path, endpoint.secret);
      expect(seen.size).toBe(sessions.length * 3);
      expect([...seen.values()].filter((e) => e.count !== 1)).toEqual([]);
      expect(receiver.at(path)).toHaveLength(sessions.length * 3);
      for (const id of sessions) {
        expect([...seen.values()].filter((e) => e.session === id).map((e) => e.type)).toEqual(['session.created', 'session.status_run_started', 'session.status_idled']);
      }
    }
  }, 120_000);
});
