import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { startFakeModel, text, type FakeModel } from '../support/fake-model/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const MODEL = 'claude-sonnet-4-6';

describe.each(BACKENDS)('sessions API (%s)', (backend) => {
  let t: TestServer;
  let fake: FakeModel;
  let agentId: string;
  let envId: string;
  const clock = new ManualClock();
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.script(Array.from({ length: 20 }, () => text('ok')));
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url }, clock });
    const agent = await t.client.beta.agents.create({ name: 's', model: MODEL, system: 'v1' });
    await t.client.beta.agents.update(agent.id, { system: 'v2' } as any);
    agentId = agent.id;
    envId = (await t.client.beta.environments.create({ name: 'sess-env' })).id;
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('a string agent pins the latest version; an agent object pins the asked version', async () => {
    const latest = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    expect(latest.id).toMatch(/^sesn_/);
    expect(latest.type).toBe('session');
    expect(latest.status).toBe('idle');
    expect(latest.agent).toMatchObject({ id: agentId, type: 'agent', version: 2, system: 'v2' });
    expect(latest.environment_id).toBe(envId);
    expect(latest.vault_ids).toEqual([]);
    expect(latest.archived_at).toBeNull();
    const pinned = await t.client.beta.sessions.create({ agent: { type: 'agent', id: agentId, version: 1 }, environment_id: envId });
    expect(pinned.agent).toMatchObject({ id: agentId, version: 1, system: 'v1' });
    const { stats: _s, ...rest } = pinned;
    expect(await t.client.beta.sessions.retrieve(pinned.id)).toMatchObject(rest);
  });

  it('uses a default environment when environment_id is omitted', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId } as any);
    expect(s.environment_id).toMatch(/^env_/);
    const env = await t.client.beta.environments.retrieve(s.environment_id);
    expect(env.id).toBe(s.environment_id);
    const again = await t.client.beta.sessions.create({ agent: agentId } as any);
    expect(again.environment_id).toBe(s.environment_id);
  });

  it('curl -d "{}" (form content type) creates a session without an agent; a user.message to it is refused with the reason', async () => {
    const res = await raw(t.baseURL, 'POST', '/v1/sessions', { apiKey: t.apiKey, body: '{}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status, res.text).toBe(200);
    expect(res.json.type).toBe('session');
    expect(res.json.agent).toBeNull();
    const err = await t.client.beta.sessions.events
      .send(res.json.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as any).error.error.message).toMatch(/without an agent/);
  });

  it('echoes vault_ids; refuses to update them', async () => {
    const [one, two] = [await t.client.beta.vaults.create({ display_name: 'one' }), await t.client.beta.vaults.create({ display_name: 'two' })];
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId, vault_ids: [one.id, two.id] });
    expect(s.vault_ids).toEqual([one.id, two.id]);
    const res = await raw(t.baseURL, 'POST', `/v1/sessions/${s.id}`, { apiKey: t.apiKey, body: JSON.stringify({ vault_ids: ['vlt_three'] }) });
    expectError(res, 400, 'invalid_request_error', /vault_ids/);
  });

  it('updates title and patches metadata', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId, title: 't1', metadata: { a: '1', b: '2' } });
    const u = await t.client.beta.sessions.update(s.id, { title: 't2', metadata: { a: null, c: '3' } as any });
    expect(u.title).toBe('t2');
    expect(u.metadata).toEqual({ b: '2', c: '3' });
    const u2 = await t.client.beta.sessions.update(s.id, { title: null });
    expect(u2.title).toBeNull();
    expect(u2.metadata).toEqual({ b: '2', c: '3' });
  });

  it('lists newest first with prev_page null on the first page, filters by statuses in every spelling', async () => {
    const tenant = await t.clientForTenant(`sesslist_${backend}`);
    const agent = await tenant.beta.agents.create({ name: 'l', model: MODEL });
    const env = await tenant.beta.environments.create({ name: 'l' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await tenant.beta.sessions.create({ agent: agent.id, environment_id: env.id })).id);
      clock.advance(5);
    }
    const first = await tenant.beta.sessions.list({ limit: 2 });
    expect(first.data.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    expect((first as any).prev_page).toBeNull();
    expect((first as any).next_page).toEqual(expect.any(String));
    const second = await first.getNextPage();
    expect(second.data.map((s) => s.id)).toEqual([ids[0]]);
    expect((second as any).next_page).toBeNull();
    const asc = await tenant.beta.sessions.list({ order: 'asc' });
    expect(asc.data.map((s) => s.id)).toEqual(ids);

    await tenant.beta.sessions.archive(ids[0]!);
    const idle = await tenant.beta.sessions.list({ statuses: ['idle'] });
    expect(idle.data.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    const apiKey = (tenant as any).apiKey as string;
    for (const q of ['statuses[]=idle', 'statuses=idle&statuses=running', 'statuses=idle,running', 'statuses[]=idle&statuses[]=running']) {
      const res = await raw(t.baseURL, 'GET', `/v1/sessions?${q}`, { apiKey });
      expect(res.status, `${q}: ${res.text}`).toBe(200);
      expect(res.json.data.map((s: any) => s.id), q).toEqual([ids[2], ids[1]]);
    }
    const terminated = await raw(t.baseURL, 'GET', '/v1/sessions?statuses=terminated&include_archived=true', { apiKey });
    expect(terminated.json.data.map((s: any) => s.id)).toEqual([ids[0]]);
  });

  it('archive terminates the session; events to it then answer 409', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const a = await t.client.beta.sessions.archive(s.id);
    expect(a.status).toBe('terminated');
    expect(a.archived_at).toEqual(expect.any(String));
    const err = await t.client.beta.sessions.events
      .send(s.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.ConflictError);
    expect((err as any).error.error.type).toBe('conflict_error');
  });

  it('delete answers session_deleted; then GET and the events list are 404', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const d = await t.client.beta.sessions.delete(s.id);
    expect(d).toEqual({ id: s.id, type: 'session_deleted' });
    const get = await t.client.beta.sessions.retrieve(s.id).catch((e: unknown) => e);
    expect(get).toBeInstanceOf(Anthropic.NotFoundError);
    const events = await t.client.beta.sessions.events.list(s.id).catch((e: unknown) => e);
    expect(events).toBeInstanceOf(Anthropic.NotFoundError);
    expectError(await raw(t.baseURL, 'GET', `/v1/sessions/${s.id}/events`, { apiKey: t.apiKey }), 404, 'not_found_error');
  });
});
