import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { waitFor } from '../support/wait-for.ts';
import { startFakeModel, text, type FakeModel } from '../support/fake-model/index.ts';

const MODEL = 'claude-sonnet-4-6';
type Ev = { id: string; type: string; [k: string]: unknown };

describe.each(BACKENDS)('session events API (%s)', (backend) => {
  let t: TestServer;
  let fake: FakeModel;
  let agentId: string;
  let envId: string;
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.script(Array.from({ length: 20 }, (_, i) => text(`answer ${i}`)));
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url } });
    agentId = (await t.client.beta.agents.create({ name: 'ev', model: MODEL })).id;
    envId = (await t.client.beta.environments.create({ name: 'ev-env' })).id;
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  const all = async (sessionId: string): Promise<Ev[]> => {
    const out: Ev[] = [];
    for await (const e of t.client.beta.sessions.events.list(sessionId)) out.push(e as unknown as Ev);
    return out;
  };
  const idleCount = (events: Ev[]) => events.filter((e) => e.type === 'session.status_idle').length;

  it('send user.message echoes {data:[{id, type, content, processed_at:null}]}', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const content = [{ type: 'text' as const, text: 'hello' }];
    const sent = await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.message', content }] });
    expect(sent.data).toHaveLength(1);
    const echo = sent.data![0] as any;
    expect(echo.id).toMatch(/^sevt_/);
    expect(echo.type).toBe('user.message');
    expect(echo.content).toEqual(content);
    expect(echo.processed_at).toBeNull();
    const events = await waitFor(async () => {
      const evs = await all(s.id);
      return idleCount(evs) >= 1 ? evs : undefined;
    }, { timeoutMs: 15_000, message: 'session did not go idle' });
    expect(events[0]!.id).toBe(echo.id);
    expect(events.map((e) => e.type)).toContain('agent.message');
  });

  it('lists events in order and paginates with limit', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const sent: string[] = [];
    for (const word of ['one', 'two']) {
      const r = await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: word }] }] });
      sent.push(r.data![0]!.id);
      await waitFor(async () => (idleCount(await all(s.id)) >= sent.length ? true : undefined), { timeoutMs: 15_000 });
    }
    const events = await all(s.id);
    const userIds = events.filter((e) => e.type === 'user.message').map((e) => e.id);
    expect(userIds).toEqual(sent);
    const processed = events.map((e) => e.processed_at as string | null).filter((p): p is string => p !== null).map((p) => Date.parse(p));
    expect(processed).toEqual([...processed].sort((a, b) => a - b));

    const paged: string[] = [];
    let page = await t.client.beta.sessions.events.list(s.id, { limit: 2 });
    for (;;) {
      expect(page.data.length).toBeLessThanOrEqual(2);
      expect(page.data.length).toBeGreaterThan(0);
      paged.push(...page.data.map((e) => e.id));
      if (!page.hasNextPage()) break;
      page = await page.getNextPage();
    }
    expect((page as any).next_page).toBeNull();
    expect(paged).toEqual(events.map((e) => e.id));

    const desc = await t.client.beta.sessions.events.list(s.id, { order: 'desc' });
    expect(desc.data.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());
  });

  it('user.custom_tool_result for an unknown id is 400', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const err = await t.client.beta.sessions.events
      .send(s.id, { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: 'sevt_nope', content: [{ type: 'text', text: 'x' }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as any).error.error.message).toMatch(/sevt_nope/);
    expect(await all(s.id)).toEqual([]);
  });

  it('an unknown event type is 400 naming it', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const res = await raw(t.baseURL, 'POST', `/v1/sessions/${s.id}/events`, { apiKey: t.apiKey, body: JSON.stringify({ events: [{ type: 'user.dance', content: [] }] }) });
    expectError(res, 400, 'invalid_request_error', /user\.dance/);
    const err = await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.dance' } as any] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('validation is all-or-nothing: one bad event keeps the others out', async () => {
    const s = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const res = await raw(t.baseURL, 'POST', `/v1/sessions/${s.id}/events`, {
      apiKey: t.apiKey,
      body: JSON.stringify({ events: [{ type: 'user.message', content: [{ type: 'text', text: 'ok' }] }, { type: 'user.message', content: [] }] }),
    });
    expectError(res, 400, 'invalid_request_error', /events\[1\]/);
    expect(await all(s.id)).toEqual([]);
  });
});
