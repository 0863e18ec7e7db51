/**
 * Issue 23's "done when", with two server instances on one Postgres database: a user creates a
 * deployment that runs every morning and a webhook endpoint, and for each morning's run receives,
 * verified with the SDK's own `webhooks.unwrap`, `deployment_run.started` and
 * `deployment_run.succeeded` for the run and `session.status_idled` for its session — each once
 * (deduplicated on webhook-id, as Standard Webhooks receivers do). Time is a ManualClock both
 * instances share; the mornings pass without sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { siblingDataDir } from '../support/child-process.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { waitFor } from '../support/wait-for.ts';
import { userMessage } from '../support/session-helpers.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const MORNINGS = 3;

describe.skipIf(!BACKENDS.includes('postgres'))('a deployment every morning with a webhook, on two instances', () => {
  let fake: FakeModel;
  let receiver: WebhookReceiver;
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const clock = new ManualClock();

  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(() => ({ content: [{ type: 'text', text: 'Report ready.' }] }) as never);
    receiver = await startWebhookReceiver();
    db = await createTestDatabase('postgres');
    const env = (instance: string) => ({ ANTHROPIC_BASE_URL: fake.url, DEPLOYMENT_POLL_MS: '50', WEBHOOK_POLL_MS: '100', VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', INSTANCE_ID: instance });
    a = await startTestServer('postgres', { db, env: env('morning-a'), clock });
    b = await startTestServer('postgres', { db: { ...db, dataDir: siblingDataDir(db, 'instance-b') }, env: env('morning-b'), clock });
  }, 90_000);
  afterAll(async () => {
    await b?.stopServer();
    await a?.stopServer();
    await receiver?.close();
    await fake?.close();
    await db?.drop();
  });

  it('each morning run is announced, succeeds, and its session idles — one signed delivery of each', async () => {
    const hook = await fetch(`${a.baseURL}/v1/webhooks`, {
      method: 'POST', headers: { 'x-api-key': a.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/hooks`, event_types: ['deployment_run.started', 'deployment_run.succeeded', 'session.status_idled'] }),
    }).then((r) => r.json() as Promise<{ id: string; secret: string }>);
    expect(hook.secret).toMatch(/^whsec_/);
    const agent = await a.client.beta.agents.create({ name: 'morning', model: 'claude-sonnet-4-6' });
    const env = await b.client.beta.environments.create({ name: 'morning-env' });
    const d = await b.client.beta.deployments.create({
      name: 'Daily order report', agent: agent.id, environment_id: env.id,
      initial_events: [userMessage("Compile yesterday's orders into report.md.")],
      schedule: { type: 'cron', expression: '0 7 * * *', timezone: 'Europe/Berlin' },
    });
    const mornings = d.schedule!.upcoming_runs_at!.slice(0, MORNINGS).map((at) => Date.parse(at));
    for (const [i, morning] of mornings.entries()) {
      clock.advance(morning - clock.now() + 1);
      await waitFor(async () => {
        const runs = [];
        for await (const r of a.client.beta.deploymentRuns.list({ deployment_id: d.id })) runs.push(r);
        return runs.length >= i + 1;
      }, { timeoutMs: 30_000, message: `morning ${i + 1} did not run` });
    }
    const runs = [];
    for await (const r of b.client.beta.deploymentRuns.list({ deployment_id: d.id })) runs.push(r);
    expect(runs.map((r) => Date.parse((r.trigger_context as { scheduled_at: string }).scheduled_at)).sort()).toEqual(mornings);
    const expected = new Set(runs.flatMap((r) => [`deployment_run.started ${r.id}`, `deployment_run.succeeded ${r.id}`, `session.status_idled ${r.session_id}`]));

    const seen = await waitFor(() => {
      const unique = new Map<string, string>();
      for (const delivery of receiver.at('/hooks')) {
        const event = a.client.beta.webhooks.unwrap(delivery.body, { headers: delivery.headers, key: hook.secret });
        unique.set(delivery.headers['webhook-id']!, `${event.data.type} ${event.data.id}`);
      }
      const got = [...unique.values()];
      return [...expected].every((e) => got.includes(e)) ? got : undefined;
    }, { timeoutMs: 60_000, message: 'not every run and session was delivered' });
    expect(seen.sort()).toEqual([...expected].sort());
  }, 180_000);
});
