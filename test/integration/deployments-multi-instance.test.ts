/**
 * Two server instances on one Postgres database (issue 23) — each with its own DATA_DIR,
 * INSTANCE_ID, connection pool and scheduler polling every 20 ms, both on one ManualClock — never
 * start a scheduled slot twice: each slot of each deployment gets exactly one run and one session,
 * while the instances also race explicit polls on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { siblingDataDir } from '../support/child-process.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { waitFor } from '../support/wait-for.ts';
import { userMessage } from '../support/session-helpers.ts';

const MINUTE = 60_000;
const SLOTS = 4;

describe.skipIf(!BACKENDS.includes('postgres'))('deployments on two instances of one Postgres database', () => {
  let fake: FakeModel;
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const clock = new ManualClock();

  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(() => ({ content: [{ type: 'text', text: 'ok' }] }) as never);
    db = await createTestDatabase('postgres');
    const env = (instance: string) => ({ ANTHROPIC_BASE_URL: fake.url, DEPLOYMENT_POLL_MS: '20', INSTANCE_ID: instance });
    a = await startTestServer('postgres', { db, env: env('deploy-a'), clock });
    b = await startTestServer('postgres', { db: { ...db, dataDir: siblingDataDir(db, 'instance-b') }, env: env('deploy-b'), clock });
  }, 90_000);
  afterAll(async () => {
    await b?.stopServer();
    await a?.stopServer();
    await fake?.close();
    await db?.drop();
  });

  it('each slot of each deployment runs exactly once, whichever instance claims it', async () => {
    const agent = await a.client.beta.agents.create({ name: 'both', model: 'claude-sonnet-4-6' });
    const env = await a.client.beta.environments.create({ name: 'both-env' });
    const deployments = [];
    for (let i = 0; i < 3; i++) {
      deployments.push(await (i % 2 ? b : a).client.beta.deployments.create({ name: `every-minute-${i}`, agent: agent.id, environment_id: env.id, initial_events: [userMessage(`run ${i}`)], schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC' } }));
    }
    const runsOf = async (id: string) => {
      const out = [];
      for await (const r of a.client.beta.deploymentRuns.list({ deployment_id: id, limit: 100 })) out.push(r);
      return out;
    };
    let slot = Date.parse(deployments[0]!.schedule!.upcoming_runs_at![0]!);
    const slots: string[] = [];
    for (let n = 1; n <= SLOTS; n++) {
      clock.advance(slot - clock.now() + 1);
      slots.push(new Date(slot).toISOString());
      // Both background pollers race, and so do these explicit polls of both instances.
      await Promise.all([a.server.scheduler.tick(), b.server.scheduler.tick(), a.server.scheduler.tick(), b.server.scheduler.tick()]);
      for (const d of deployments) await waitFor(async () => (await runsOf(d.id)).length >= n, { timeoutMs: 30_000, message: `slot ${n} of ${d.id} did not run` });
      slot += MINUTE;
    }
    await Promise.all([a.server.scheduler.tick(), b.server.scheduler.tick()]);
    for (const d of deployments) {
      const runs = await runsOf(d.id);
      expect(runs.map((r) => (r.trigger_context as { scheduled_at: string }).scheduled_at).sort()).toEqual(slots);
      expect(runs.every((r) => r.error === null && r.session_id !== null)).toBe(true);
      expect(new Set(runs.map((r) => r.session_id)).size).toBe(SLOTS);
      const sessions = await a.server.services.store.db.selectFrom('sessions').select('id').where('title', '=', d.name).execute();
      expect(sessions).toHaveLength(SLOTS);
    }
  }, 180_000);
});
