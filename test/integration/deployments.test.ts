/**
 * Deployments and deployment runs through the official SDK (issue 23), on both backends: CRUD,
 * the cron schedule firing on a ManualClock (the test moves time and polls the scheduler itself,
 * never sleeping through minutes), the missed-run policy, pause/unpause, archive, run now, the
 * auto-pause on a permanent failure, readable 400s for bad schedules and tenant isolation.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { sql } from 'kysely';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { listEvents, userMessage, waitForIdle } from '../support/session-helpers.ts';

const MODEL = 'claude-sonnet-4-6';
const MINUTE = 60_000;

describe.each(BACKENDS)('deployments API (%s)', (backend) => {
  let t: TestServer;
  let fake: FakeModel;
  let agentId: string;
  let envId: string;
  const clock = new ManualClock();
  const tick = () => t.server.scheduler.tick();
  const runsOf = async (deploymentId: string) => {
    const out = [];
    for await (const r of t.client.beta.deploymentRuns.list({ deployment_id: deploymentId, limit: 100 })) out.push(r);
    return out;
  };
  const create = (extra: Record<string, unknown> = {}) =>
    t.client.beta.deployments.create({ name: 'nightly', agent: agentId, environment_id: envId, initial_events: [userMessage('Compile the report.')], ...extra } as Parameters<Anthropic['beta']['deployments']['create']>[0]);
  const post = (path: string, body: unknown) => raw(t.baseURL, 'POST', path, { apiKey: t.apiKey, body: JSON.stringify(body) });

  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(() => ({ content: [{ type: 'text', text: 'done' }] }) as never);
    // The background poll is slowed to an hour: the tests poll the scheduler themselves, deterministically.
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url, DEPLOYMENT_POLL_MS: '3600000', LOG_LEVEL: 'warn' }, clock, captureLogs: true });
    agentId = (await t.client.beta.agents.create({ name: 'reporter', model: MODEL })).id;
    envId = (await t.client.beta.environments.create({ name: 'deploy-env' })).id;
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('creates, retrieves, lists and updates a deployment in the SDK shape', async () => {
    const d = await create({ description: 'every morning', metadata: { team: 'ops' }, schedule: { type: 'cron', expression: '0 9 * * 1-5', timezone: 'America/Los_Angeles' } });
    expect(d.id).toMatch(/^depl_/);
    expect(d).toMatchObject({
      type: 'deployment', name: 'nightly', description: 'every morning', agent: { id: agentId, type: 'agent', version: 1 }, environment_id: envId,
      initial_events: [userMessage('Compile the report.')], resources: [], vault_ids: [], metadata: { team: 'ops' }, status: 'active', paused_reason: null, archived_at: null,
    });
    expect(d.schedule).toMatchObject({ type: 'cron', expression: '0 9 * * 1-5', timezone: 'America/Los_Angeles', last_run_at: null });
    const upcoming = d.schedule!.upcoming_runs_at!;
    expect(upcoming).toHaveLength(5);
    for (const at of upcoming) {
      expect(Date.parse(at)).toBeGreaterThan(clock.now() - 1000);
      // 09:00 in Los Angeles is 16:00 or 17:00 UTC, on a weekday there.
      expect([16, 17]).toContain(new Date(at).getUTCHours());
      expect(new Date(at).getUTCMinutes()).toBe(0);
    }
    expect(await t.client.beta.deployments.retrieve(d.id)).toEqual(d);
    const listed = [];
    for await (const x of t.client.beta.deployments.list({ agent_id: agentId })) listed.push(x.id);
    expect(listed).toContain(d.id);

    await t.client.beta.agents.update(agentId, { version: 1, system: 'v2' } as never);
    const u = await t.client.beta.deployments.update(d.id, { name: 'renamed', metadata: { team: null, owner: 'me' }, agent: agentId, schedule: null, description: '' });
    expect(u).toMatchObject({ name: 'renamed', metadata: { owner: 'me' }, agent: { id: agentId, version: 2 }, schedule: null, description: null });
    expect(Date.parse(u.updated_at)).toBeGreaterThanOrEqual(Date.parse(d.updated_at));
  });

  it('refuses bad schedules with a 400 that says what is wrong', async () => {
    const body = (schedule: unknown) => ({ name: 'x', agent: agentId, environment_id: envId, initial_events: [userMessage('hi')], schedule });
    const cases: [unknown, RegExp][] = [
      [{ type: 'cron', expression: '0 0 0 * * *', timezone: 'UTC' }, /has 6 fields; a schedule has exactly 5/],
      [{ type: 'cron', expression: '0 0 L * *', timezone: 'UTC' }, /"L" .*extended cron syntax/],
      [{ type: 'cron', expression: '0 0 ? * *', timezone: 'UTC' }, /extended cron syntax/],
      [{ type: 'cron', expression: '0 0 * * 1#2', timezone: 'UTC' }, /extended cron syntax/],
      [{ type: 'cron', expression: '@daily', timezone: 'UTC' }, /shortcuts .* not supported/],
      [{ type: 'cron', expression: '61 * * * *', timezone: 'UTC' }, /61 in the minute field .* out of range \(0-59\)/],
      [{ type: 'cron', expression: '0 9 * * 1-5', timezone: 'Mars/Olympus' }, /"Mars\/Olympus" is not an IANA timezone/],
      [{ type: 'cron', expression: '0 9 * * 1-5' }, /timezone/],
    ];
    for (const [schedule, message] of cases) {
      const res = await post('/v1/deployments', body(schedule));
      expectError(res, 400, 'invalid_request_error', message);
    }
    const d = await create();
    expectError(await post(`/v1/deployments/${d.id}`, { schedule: { type: 'cron', expression: '* * *', timezone: 'UTC' } }), 400, 'invalid_request_error', /has 3 fields/);
    expect((await t.client.beta.deployments.retrieve(d.id)).schedule).toBeNull();
    // Day-of-week 7 is Sunday, as the SDK documents.
    const sunday = await create({ schedule: { type: 'cron', expression: '0 12 * * 7', timezone: 'UTC' } });
    for (const at of sunday.schedule!.upcoming_runs_at!) expect(new Date(at).getUTCDay()).toBe(0);
  });

  it('refuses bad references and bodies with 4xx', async () => {
    expectError(await post('/v1/deployments', { name: 'x', agent: 'agent_nope', environment_id: envId, initial_events: [userMessage('hi')] }), 404, 'not_found_error', /agent/);
    expectError(await post('/v1/deployments', { name: 'x', agent: agentId, environment_id: 'env_nope', initial_events: [userMessage('hi')] }), 404, 'not_found_error', /environment/);
    expectError(await post('/v1/deployments', { name: 'x', agent: agentId, environment_id: envId, initial_events: [] }), 400, 'invalid_request_error', /at least 1/);
    expectError(await post('/v1/deployments', { name: 'x', agent: agentId, environment_id: envId, initial_events: [userMessage('hi')], vault_ids: ['vlt_nope'] }), 404, 'not_found_error', /vault/);
    expectError(await post('/v1/deployments', { name: 'x', agent: agentId, environment_id: envId, initial_events: [{ type: 'system.message', content: [] }] }), 400, 'invalid_request_error', /system.message is not supported/);
    expectError(await post('/v1/deployments', { name: 'x', agent: agentId, environment_id: envId, initial_events: [userMessage('hi')], resources: [{ type: 'github_repository', url: 'https://github.com/o/r', authorization_token: 'ghp_secret' }] }), 400, 'invalid_request_error', /github_repository resources are not supported on deployments/);
    expect((await raw(t.baseURL, 'GET', '/v1/deployments?limit=100', { apiKey: t.apiKey })).text).not.toContain('ghp_secret');
    expectError(await post('/v1/deployments', { name: 'x', agent: agentId, environment_id: envId, initial_events: [userMessage('hi')], cron: '* * * * *' }), 400, 'invalid_request_error', /cron/);
    const before = (await raw(t.baseURL, 'GET', '/v1/deployments?limit=1000&include_archived=true', { apiKey: t.apiKey })).json.data.length;
    expectError(await post('/v1/deployments', { name: 'x', agent: agentId, environment_id: envId, initial_events: [userMessage('hi')], schedule: { type: 'cron', expression: '* * * * *', timezone: 'UTC', seconds: 0 } }), 400, 'invalid_request_error', /seconds/);
    expect((await raw(t.baseURL, 'GET', '/v1/deployments?limit=1000&include_archived=true', { apiKey: t.apiKey })).json.data).toHaveLength(before);
    expectError(await raw(t.baseURL, 'GET', '/v1/deployments?status=paused&include_archived=true', { apiKey: t.apiKey }), 400, 'invalid_request_error', /cannot be combined/);
  });

  it('runs now: a session from the deployment with its initial events, recorded as a manual run', async () => {
    const d = await create();
    const run = await t.client.beta.deployments.run(d.id);
    expect(run).toMatchObject({ type: 'deployment_run', deployment_id: d.id, agent: { id: agentId, type: 'agent', version: d.agent.version }, error: null, trigger_context: { type: 'manual' } });
    expect(run.id).toMatch(/^drun_/);
    expect(run.session_id).toMatch(/^sesn_/);
    const session = await t.client.beta.sessions.retrieve(run.session_id!);
    expect(session).toMatchObject({ environment_id: envId, title: 'nightly', agent: { id: agentId, version: d.agent.version } });
    const events = await waitForIdle(t.client, session.id);
    expect(events.filter((e) => e.type === 'user.message').map((e) => e.content)).toEqual([[{ type: 'text', text: 'Compile the report.' }]]);
    expect(await t.client.beta.deploymentRuns.retrieve(run.id)).toEqual(run);
    expect((await runsOf(d.id)).map((r) => r.id)).toEqual([run.id]);
    // sessions.list({deployment_id}) finds the sessions of the deployment's runs, and only those.
    const ofDeployment = [];
    for await (const s of t.client.beta.sessions.list({ deployment_id: d.id })) ofDeployment.push(s.id);
    expect(ofDeployment).toEqual([run.session_id]);
    const manual = [];
    for await (const r of t.client.beta.deploymentRuns.list({ deployment_id: d.id, trigger_type: 'schedule' })) manual.push(r);
    expect(manual).toEqual([]);
    // Manual runs do not move last_run_at.
    expect((await t.client.beta.deployments.retrieve(d.id)).schedule).toBeNull();
  });

  it('fires a scheduled run at its slot, once, and then waits for the next slot', async () => {
    const d = await create({ schedule: { type: 'cron', expression: '*/10 * * * *', timezone: 'Europe/Berlin' } });
    const slot = Date.parse(d.schedule!.upcoming_runs_at![0]!);
    await tick();
    expect(await runsOf(d.id)).toEqual([]);
    clock.advance(slot - clock.now() + 1);
    await tick();
    await tick();
    const runs = await runsOf(d.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger_context: { type: 'schedule', scheduled_at: new Date(slot).toISOString() }, error: null });
    await waitForIdle(t.client, runs[0]!.session_id!);
    const after = await t.client.beta.deployments.retrieve(d.id);
    expect(Date.parse(after.schedule!.last_run_at!)).toBeGreaterThanOrEqual(slot);
    expect(Date.parse(after.schedule!.upcoming_runs_at![0]!)).toBe(slot + 10 * MINUTE);
  });

  it('after missed slots (server busy or down) runs once, for the latest missed slot', async () => {
    const d = await create({ schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } });
    const first = Date.parse(d.schedule!.upcoming_runs_at![0]!);
    clock.advance(first - clock.now() + 3 * 5 * MINUTE + 1000); // four slots have passed
    await tick();
    await tick();
    const runs = await runsOf(d.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.trigger_context).toEqual({ type: 'schedule', scheduled_at: new Date(first + 15 * MINUTE).toISOString() });
  });

  it('after a downtime that missed thousands of slots of a dense schedule, still runs once, for the latest', async () => {
    // Every minute of days 1-3 of each month: down from the first slot until day 10 of the next month
    // misses more than 4,000 slots, more than the scheduler walks one by one; looking back from now
    // then found a window holding more slots than one page, ran a slot of day 2, then another.
    const d = await create({ schedule: { type: 'cron', expression: '* * 1-3 * *', timezone: 'UTC' } });
    const first = new Date(d.schedule!.upcoming_runs_at![0]!);
    const latest = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 3, 23, 59);
    clock.advance(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 10) - clock.now());
    await tick();
    await tick();
    const runs = await runsOf(d.id);
    expect(runs.map((r) => r.trigger_context)).toEqual([{ type: 'schedule', scheduled_at: new Date(latest).toISOString() }]);
    const after = await t.client.beta.deployments.retrieve(d.id);
    expect(Date.parse(after.schedule!.upcoming_runs_at![0]!)).toBe(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 2, 1));
    await t.client.beta.deployments.archive(d.id);
  });

  it('a deployment whose stored schedule no longer works does not keep the other due deployments from firing', async () => {
    const good = await create({ schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } });
    const slot = Date.parse(good.schedule!.upcoming_runs_at![0]!);
    const broken = await create({ schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } });
    // As after an upgrade whose timezone database dropped the name: croner throws on it. Due first.
    const db = t.server.services.store.db;
    await sql`UPDATE deployments SET schedule = ${JSON.stringify({ type: 'cron', expression: '*/5 * * * *', timezone: 'Gone/Zone' })}, next_fire_at = ${slot - MINUTE} WHERE id = ${broken.id}`.execute(db);
    clock.advance(slot - clock.now() + 1000);
    await tick();
    expect((await runsOf(good.id)).map((r) => r.trigger_context)).toEqual([{ type: 'schedule', scheduled_at: new Date(slot).toISOString() }]);
    expect(await runsOf(broken.id)).toEqual([]);
    await sql`UPDATE deployments SET archived_at = ${clock.now()}, next_fire_at = NULL WHERE id = ${broken.id}`.execute(db);
    await t.client.beta.deployments.archive(good.id);
  });

  it('a deployment whose stored schedule croner rejects is still served: upcoming_runs_at is empty and a warning is logged', async () => {
    const broken = await create({ name: 'gone-zone', schedule: { type: 'cron', expression: '0 9 * * *', timezone: 'UTC' } });
    const db = t.server.services.store.db;
    await sql`UPDATE deployments SET schedule = ${JSON.stringify({ type: 'cron', expression: '0 9 * * *', timezone: 'Gone/Zone' })} WHERE id = ${broken.id}`.execute(db);
    const got = await t.client.beta.deployments.retrieve(broken.id);
    expect(got.schedule).toMatchObject({ type: 'cron', expression: '0 9 * * *', timezone: 'Gone/Zone', upcoming_runs_at: [] });
    const listed: string[] = [];
    for await (const d of t.client.beta.deployments.list()) {
      listed.push(d.id);
      if (d.id === broken.id) expect(d.schedule!.upcoming_runs_at).toEqual([]);
    }
    expect(listed).toContain(broken.id);
    const warnings = t.logLines.map((l) => JSON.parse(l) as { msg: string; deploymentId?: string }).filter((l) => l.deploymentId === broken.id);
    expect(warnings.map((l) => l.msg)).toContain('stored deployment schedule cannot be evaluated; upcoming_runs_at is empty');
    await sql`UPDATE deployments SET archived_at = ${clock.now()}, next_fire_at = NULL WHERE id = ${broken.id}`.execute(db);
  });

  it('pause suppresses scheduled runs (not manual ones); unpause resumes at the next slot, skipping the paused ones', async () => {
    const d = await create({ schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } });
    const paused = await t.client.beta.deployments.pause(d.id);
    expect(paused).toMatchObject({ status: 'paused', paused_reason: { type: 'manual' } });
    expect(paused.schedule!.upcoming_runs_at).toHaveLength(5);
    clock.advance(12 * MINUTE);
    await tick();
    expect(await runsOf(d.id)).toEqual([]);
    const manual = await t.client.beta.deployments.run(d.id);
    expect(manual.session_id).toMatch(/^sesn_/);
    const listedPaused = [];
    for await (const x of t.client.beta.deployments.list({ status: 'paused' })) listedPaused.push(x.id);
    expect(listedPaused).toContain(d.id);

    const resumed = await t.client.beta.deployments.unpause(d.id);
    expect(resumed).toMatchObject({ status: 'active', paused_reason: null });
    await tick();
    expect((await runsOf(d.id)).map((r) => r.trigger_context.type)).toEqual(['manual']);
    const next = Date.parse(resumed.schedule!.upcoming_runs_at![0]!);
    clock.advance(next - clock.now() + 1);
    await tick();
    expect((await runsOf(d.id)).map((r) => r.trigger_context)).toEqual([{ type: 'schedule', scheduled_at: new Date(next).toISOString() }, { type: 'manual' }]);
  });

  it('archive stops the schedule and makes the deployment read-only', async () => {
    const d = await create({ schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } });
    await t.client.beta.deployments.pause(d.id);
    const a = await t.client.beta.deployments.archive(d.id);
    expect(a.archived_at).not.toBeNull();
    expect(a).toMatchObject({ status: 'active', paused_reason: null });
    expect(a.schedule!.upcoming_runs_at).toEqual([]);
    clock.advance(6 * MINUTE);
    await tick();
    expect(await runsOf(d.id)).toEqual([]);
    expectError(await post(`/v1/deployments/${d.id}/run`, {}), 409, 'conflict_error', /archived/);
    expectError(await post(`/v1/deployments/${d.id}`, { name: 'y' }), 409, 'conflict_error', /archived/);
    expectError(await post(`/v1/deployments/${d.id}/unpause`, {}), 409, 'conflict_error', /archived/);
    const active = [];
    for await (const x of t.client.beta.deployments.list()) active.push(x.id);
    expect(active).not.toContain(d.id);
    const all = [];
    for await (const x of t.client.beta.deployments.list({ include_archived: true })) all.push(x.id);
    expect(all).toContain(d.id);
  });

  it('a scheduled run that cannot create its session is recorded as failed and pauses the deployment', async () => {
    const agent = await t.client.beta.agents.create({ name: 'short-lived', model: MODEL });
    const d = await t.client.beta.deployments.create({ name: 'doomed', agent: agent.id, environment_id: envId, initial_events: [userMessage('hi')], schedule: { type: 'cron', expression: '*/5 * * * *', timezone: 'UTC' } });
    await t.client.beta.agents.archive(agent.id);
    clock.advance(Date.parse(d.schedule!.upcoming_runs_at![0]!) - clock.now() + 1);
    await tick();
    const runs = await runsOf(d.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ session_id: null, error: { type: 'agent_archived_error' } });
    expect(runs[0]!.error!.message).toMatch(/archived/);
    const failed = [];
    for await (const r of t.client.beta.deploymentRuns.list({ deployment_id: d.id, has_error: true })) failed.push(r.id);
    expect(failed).toEqual([runs[0]!.id]);
    expect(await t.client.beta.deployments.retrieve(d.id)).toMatchObject({ status: 'paused', paused_reason: { type: 'error', error: { type: 'agent_archived_error' } } });
  });

  it("another tenant's deployment or run is a 404 like an unknown id", async () => {
    const d = await create();
    const run = await t.client.beta.deployments.run(d.id);
    const other = await t.clientForTenant('tenant_other_deploy');
    const unknown = await raw(t.baseURL, 'GET', '/v1/deployments/depl_unknown', { apiKey: t.apiKey });
    expectError(unknown, 404, 'not_found_error');
    for (const call of [
      () => other.beta.deployments.retrieve(d.id),
      () => other.beta.deployments.update(d.id, { name: 'mine' }),
      () => other.beta.deployments.pause(d.id),
      () => other.beta.deployments.unpause(d.id),
      () => other.beta.deployments.archive(d.id),
      () => other.beta.deployments.run(d.id),
      () => other.beta.deploymentRuns.retrieve(run.id),
    ]) {
      await expect(call()).rejects.toMatchObject({ status: 404 });
    }
    const theirs = [];
    for await (const r of other.beta.deploymentRuns.list({ deployment_id: d.id })) theirs.push(r);
    expect(theirs).toEqual([]);
    // Nor can a deployment name another tenant's environment.
    const otherAgent = await other.beta.agents.create({ name: 'theirs', model: MODEL });
    await expect(other.beta.deployments.create({ name: 'x', agent: otherAgent.id, environment_id: envId, initial_events: [userMessage('hi')] })).rejects.toMatchObject({ status: 404 });
    expect((await t.client.beta.deployments.retrieve(d.id)).name).toBe('nightly');
    expect((await listEvents(t.client, run.session_id!)).length).toBeGreaterThan(0);
  });
});
