/**
 * A deployment run that takes longer than its claim's lifetime keeps its claim: the executor
 * renews it while it works, so no scheduler (this instance's or another's) takes the run over and
 * executes it a second time. And the renewal is fenced: once another instance has taken the claim
 * over, the first executor's renewals and its outcome write change nothing, and it stops.
 * The real server process is made to stay inside the run (DEPLOYMENT_TEST_STALL_AT=claim) with a
 * claim lifetime of 1 s and its own scheduler polling every 50 ms, on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { waitFor } from '../support/wait-for.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { postJson } from '../../scripts/crash-test/api.ts';

const TTL_MS = 1000;

describe.each(BACKENDS)('a deployment run longer than its claim (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  let server: ChildServer | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    server = await startChildServer(db, { env: { LEASE_TTL_MS: String(TTL_MS), DEPLOYMENT_POLL_MS: '50', DEPLOYMENT_TEST_STALL_AT: 'claim' } });
    store = await openStore(db.database);
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await store?.close();
    await db?.drop();
  }, 30_000);

  it('is renewed, not taken over, while it runs; once taken over, the first holder can neither renew nor complete it', async () => {
    const agent = await postJson<{ id: string }>(server!.baseURL, '/v1/agents', { name: 'slow', model: 'claude-sonnet-4-6' });
    const environment = await postJson<{ id: string }>(server!.baseURL, '/v1/environments', { name: 'slow-env' });
    const deployment = await postJson<{ id: string }>(server!.baseURL, '/v1/deployments', {
      name: 'slow', agent: agent.id, environment_id: environment.id,
      initial_events: [{ type: 'user.message', content: [{ type: 'text', text: 'take your time' }] }],
    });
    // The run-now request stays inside the run until the server is killed.
    const request = postJson(server!.baseURL, `/v1/deployments/${deployment.id}/run`, {}).then(() => 'answered', () => 'failed');
    const runRow = () => store.db.selectFrom('deployment_runs').selectAll().where('deployment_id', '=', deployment.id).executeTakeFirst();
    const claimed = await waitFor(runRow, { timeoutMs: 30_000, message: 'the run was not claimed' });
    const first = { owner: claimed.claim_owner!, token: Number(claimed.claim_token) };
    expect(first.token).toBe(1);

    // Three lifetimes later the claim is still the first one, its expiry moved forward.
    const renewed = await waitFor(async () => {
      const row = await runRow();
      return row && Number(row.claim_expires_at) >= Number(claimed.claim_expires_at) + 3 * TTL_MS ? row : undefined;
    }, { timeoutMs: 30_000, message: 'the claim was not renewed' });
    expect({ owner: renewed.claim_owner, token: Number(renewed.claim_token), state: renewed.state }).toEqual({ ...first, state: 'pending' });

    // Another instance takes the claim over (as after a network partition): the first holder's
    // next renewal finds it gone and stops; nothing it writes lands.
    const farExpiry = Number(renewed.claim_expires_at) + 600_000;
    const second = await store.deploymentRuns.takeOver(renewed, 'other-instance', farExpiry);
    expect(second).toEqual({ owner: 'other-instance', token: 2 });
    await waitFor(() => server!.output().includes('deployment run claim was taken over by another instance'), { timeoutMs: 30_000, message: 'the first executor did not notice it lost the claim' });
    expect(await store.deploymentRuns.renew(claimed.id, first, farExpiry + 1)).toBe(false);
    expect(await store.deploymentRuns.complete(claimed.id, first, { state: 'succeeded', session_id: claimed.planned_session_id, error: null, completed_at: Date.now() })).toBe(false);
    const after = (await runRow())!;
    expect({ owner: after.claim_owner, token: Number(after.claim_token), expires: Number(after.claim_expires_at), state: after.state, session: after.session_id }).toEqual({ owner: 'other-instance', token: 2, expires: farExpiry, state: 'pending', session: null });
    expect(await store.db.selectFrom('sessions').select('id').where('id', '=', claimed.planned_session_id).executeTakeFirst()).toBeUndefined();

    await server!.kill();
    server = undefined;
    expect(await request).toBe('failed');
  }, 120_000);
});
