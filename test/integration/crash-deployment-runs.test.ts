/**
 * kill -9 of the real server process in the middle of a deployment run (issue 23), on both
 * backends: after the run is claimed but before its session exists, and after the session and its
 * initial events exist but before the run's outcome is recorded. The server is made to stop at
 * exactly that point (DEPLOYMENT_TEST_STALL_AT), the test sees the claimed row in the database and
 * SIGKILLs it; the restarted server takes the expired claim over and finishes the run — one run,
 * one session, the initial events once — whichever side of the session create the kill fell on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { getJson, listAllEvents, postJson } from '../../scripts/crash-test/api.ts';

describe.each(BACKENDS)('kill -9 during a deployment run (%s)', (backend) => {
  let fake: FakeModel;
  let db: TestDatabase;
  let store: Store;
  let server: ChildServer | undefined;
  const env = (extra: Record<string, string> = {}) => ({ ANTHROPIC_BASE_URL: fake.url, MODEL_RETRY_BASE_MS: '10', LEASE_TTL_MS: '1000', DEPLOYMENT_POLL_MS: '100', ...extra });

  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(() => ({ content: [{ type: 'text', text: 'report compiled' }] }) as never);
    db = await createTestDatabase(backend);
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await store?.close();
    await fake?.close();
    await db?.drop();
  }, 30_000);

  for (const stallAt of ['claim', 'session'] as const) {
    it(`killed after the ${stallAt === 'claim' ? 'claim, before the session create' : 'session create, before the outcome'}: the restarted server finishes the run exactly once`, async () => {
      server = await startChildServer(db, { env: env({ DEPLOYMENT_TEST_STALL_AT: stallAt }) });
      store ??= await openStore(db.database);
      const agent = await postJson<{ id: string }>(server.baseURL, '/v1/agents', { name: `crash-${stallAt}`, model: 'claude-sonnet-4-6' });
      const environment = await postJson<{ id: string }>(server.baseURL, '/v1/environments', { name: `crash-env-${stallAt}` });
      const deployment = await postJson<{ id: string }>(server.baseURL, '/v1/deployments', {
        name: `crash-${stallAt}`, agent: agent.id, environment_id: environment.id,
        initial_events: [{ type: 'user.message', content: [{ type: 'text', text: `compile (${stallAt})` }] }],
      });
      // The run-now request never answers: the server stalls inside it and is killed there.
      const request = postJson(server.baseURL, `/v1/deployments/${deployment.id}/run`, {}).then(() => 'answered', () => 'failed');

      const claimed = await waitFor(() => store.db.selectFrom('deployment_runs').selectAll().where('deployment_id', '=', deployment.id).executeTakeFirst(), { timeoutMs: 30_000, message: 'the run was not claimed' });
      expect(claimed.state).toBe('pending');
      if (stallAt === 'claim') {
        expect(await store.db.selectFrom('sessions').select('id').where('id', '=', claimed.planned_session_id).executeTakeFirst()).toBeUndefined();
      } else {
        await waitFor(() => store.db.selectFrom('session_events').select('id').where('session_id', '=', claimed.planned_session_id).where('type', '=', 'user.message').executeTakeFirst(), { timeoutMs: 30_000, message: 'the session and its initial events were not written' });
        // Still pending: the outcome was not recorded before the kill.
        expect((await store.db.selectFrom('deployment_runs').select('state').where('id', '=', claimed.id).executeTakeFirstOrThrow()).state).toBe('pending');
      }
      // Not visible through the API while pending.
      expect((await getJson<{ data: unknown[] }>(server.baseURL, `/v1/deployment_runs?deployment_id=${deployment.id}`)).data).toEqual([]);
      await server.kill();
      expect(await request).toBe('failed');

      server = await startChildServer(db, { env: env() });
      const runs = await waitFor(async () => {
        const body = await getJson<{ data: { id: string; session_id: string | null; error: unknown; trigger_context: unknown }[] }>(server!.baseURL, `/v1/deployment_runs?deployment_id=${deployment.id}`);
        return body.data.length > 0 ? body.data : undefined;
      }, { timeoutMs: 30_000, message: 'the restarted server did not finish the run' });
      expect(runs).toEqual([{ ...runs[0], id: claimed.id, session_id: claimed.planned_session_id, error: null, trigger_context: { type: 'manual' } }]);

      // One session from this deployment, with its initial event once, and it ran.
      const sessions = await store.db.selectFrom('sessions').select(['id', 'title']).where('title', '=', `crash-${stallAt}`).execute();
      expect(sessions.map((s) => s.id)).toEqual([claimed.planned_session_id]);
      const events = await waitFor(async () => {
        const all = await listAllEvents(server!.baseURL, claimed.planned_session_id);
        return all.some((e) => e.type === 'session.status_idle') ? all : undefined;
      }, { timeoutMs: 30_000, message: 'the session did not run to idle' });
      expect(events.filter((e) => e.type === 'user.message').map((e) => (e.content as { text: string }[])[0]!.text)).toEqual([`compile (${stallAt})`]);
      expect(await store.db.selectFrom('deployment_runs').select('id').where('deployment_id', '=', deployment.id).execute()).toHaveLength(1);
      await server.kill();
      server = undefined;
    }, 120_000);
  }
});
