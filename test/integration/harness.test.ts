import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, reply, text, toolUse, httpError, stall, expecting, type FakeModel } from '../support/fake-model/index.ts';
import { listEvents, types, userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

describe.each(BACKENDS)('agent harness on %s', (backend) => {
  let fake: FakeModel;
  let t: TestServer;
  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url, MODEL_MAX_RETRIES: '2' } });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  const weather = {
    type: 'custom' as const,
    name: 'get_weather',
    description: 'Weather for a city',
    input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
  };

  async function session(tools: unknown[] = [], system = 'Be brief.') {
    const agent = await t.client.beta.agents.create({ name: 'h', model: 'claude-sonnet-4-6', system, tools: tools as never });
    return t.client.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
  }

  it('runs a text turn and sends the model the system prompt and the user message', async () => {
    fake.script([
      expecting(reply(text('Hello there.'), { usage: { input_tokens: 11, output_tokens: 3, cache_read_input_tokens: 5 } }), (r) => {
        expect(r.body.model).toBe('claude-sonnet-4-6');
        expect(JSON.stringify(r.body.system)).toContain('Be brief.');
        expect(r.body.messages).toHaveLength(1);
        expect(JSON.stringify(r.body.messages[0])).toContain('hi');
      }),
    ]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('hi')] });
    const events = await waitForIdle(t.client, s.id);
    expect(types(events)).toEqual(['user.message', 'session.status_running', 'span.model_request_start', 'agent.message', 'span.model_request_end', 'session.status_idle']);
    const idle = events.at(-1)!;
    expect(idle.stop_reason).toEqual({ type: 'end_turn' });
    expect(idle.stop_details).toBeNull();
    expect(events[0]!.processed_at).not.toBeNull();
    const end = events.find((e) => e.type === 'span.model_request_end')!;
    expect(end.model_request_start_id).toBe(events.find((e) => e.type === 'span.model_request_start')!.id);
    expect(end.model_usage).toMatchObject({ input_tokens: 11, output_tokens: 3, cache_read_input_tokens: 5, cache_creation_input_tokens: 0 });
    const after = await t.client.beta.sessions.retrieve(s.id);
    expect(after.status).toBe('idle');
    expect(after.usage).toMatchObject({ input_tokens: 11, output_tokens: 3, cache_read_input_tokens: 5 });
  });

  it('keeps multi-turn history', async () => {
    fake.script([
      reply(text('first answer')),
      expecting(reply(text('second answer')), (r) => {
        expect(r.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
        expect(JSON.stringify(r.body.messages[1])).toContain('first answer');
      }),
    ]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('one')] });
    await waitForIdle(t.client, s.id, 1);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('two')] });
    await waitForIdle(t.client, s.id, 2);
  });

  it('round-trips a custom tool', async () => {
    fake.script([
      reply(toolUse('get_weather', { city: 'Paris' })),
      expecting(reply(text('It is sunny.')), (r) => {
        const last = r.body.messages.at(-1)!;
        expect(JSON.stringify(last)).toContain('tool_result');
        expect(JSON.stringify(last)).toContain('18C');
      }),
    ]);
    const s = await session([weather]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('weather?')] });
    const events = await waitForIdle(t.client, s.id);
    const use = events.find((e) => e.type === 'agent.custom_tool_use')!;
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'requires_action', event_ids: [use.id] });
    const sent = await t.client.beta.sessions.events.send(s.id, {
      events: [{ type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: [{ type: 'text', text: '18C' }] }],
    });
    expect(sent.data![0]!.processed_at).not.toBeNull();
    const done = await waitForIdle(t.client, s.id, 2);
    expect(done.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    await expect(
      t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: use.id, content: [] }] }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('waits for every blocking call of one response and reports the remaining ids', async () => {
    fake.script([reply(toolUse('get_weather', { city: 'A' }), toolUse('get_weather', { city: 'B' })), reply(text('both done'))]);
    const s = await session([weather]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('two cities')] });
    const events = await waitForIdle(t.client, s.id);
    const uses = events.filter((e) => e.type === 'agent.custom_tool_use');
    expect(uses).toHaveLength(2);
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: uses[0]!.id, content: [{ type: 'text', text: 'a' }] }] });
    const partial = await waitForIdle(t.client, s.id, 2);
    expect(partial.at(-1)!.stop_reason).toEqual({ type: 'requires_action', event_ids: [uses[1]!.id] });
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: uses[1]!.id, content: [{ type: 'text', text: 'b' }] }] });
    const done = await waitForIdle(t.client, s.id, 3);
    expect(done.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });

  it('retries transient model errors and reports them, then succeeds', async () => {
    fake.script([httpError(529, { retryAfter: 0 }), httpError(429, { retryAfter: 0 }), reply(text('finally'))]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const events = await waitForIdle(t.client, s.id);
    const errors = events.filter((e) => e.type === 'session.error');
    expect(errors.map((e) => (e.error as { type: string }).type)).toEqual(['model_overloaded_error', 'model_rate_limited_error']);
    expect(errors.every((e) => (e.error as { retry_status: { type: string } }).retry_status.type === 'retrying')).toBe(true);
    expect(types(events).filter((x) => x === 'session.status_rescheduled')).toHaveLength(2);
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });

  it('gives up after the retry budget with retries_exhausted', async () => {
    fake.script([httpError(500), httpError(500), httpError(500)]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const events = await waitForIdle(t.client, s.id);
    const last = events.filter((e) => e.type === 'session.error').at(-1)!;
    expect((last.error as { retry_status: { type: string } }).retry_status.type).toBe('exhausted');
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'retries_exhausted' });
  });

  it('reports a model 4xx as a session error without retrying', async () => {
    fake.script([httpError(400, { message: 'max_tokens is too large' })]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const events = await waitForIdle(t.client, s.id);
    const error = events.find((e) => e.type === 'session.error')!;
    expect((error.error as { message: string }).message).toContain('max_tokens is too large');
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'retries_exhausted' });
  });

  it('interrupts a long model stream and then handles the queued message', async () => {
    fake.script([stall({ content: [text('partial…')], afterDeltas: 1 }), reply(text('after interrupt'))]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('long')] });
    const stalled = await fake.waitForStall();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('queued')] });
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.interrupt' }] });
    await stalled.closed;
    const events = await waitForIdle(t.client, s.id, 2);
    const first = events.findIndex((e) => e.type === 'session.status_idle');
    expect(events.slice(0, first + 1).some((e) => e.type === 'agent.message')).toBe(false);
    expect(events[first]!.stop_reason).toEqual({ type: 'end_turn' });
    expect(events.filter((e) => e.type === 'agent.message').map((e) => JSON.stringify(e.content))).toEqual([JSON.stringify([{ type: 'text', text: 'after interrupt' }])]);
    const userEvents = events.filter((e) => e.type.startsWith('user.'));
    expect(userEvents.every((e) => e.processed_at !== null)).toBe(true);
  });

  it('handles messages queued during a turn after it ends', async () => {
    fake.script([reply(text('one'), { chunkDelayMs: 30, chunkSize: 1 }), reply(text('two'))]);
    const s = await session();
    const before = fake.requests.length;
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('a')] });
    await fake.waitForRequests(before + 1);
    const queued = await t.client.beta.sessions.events.send(s.id, { events: [userMessage('b')] });
    expect(queued.data![0]!.processed_at).toBeNull();
    const events = await waitForIdle(t.client, s.id, 2);
    expect(events.filter((e) => e.type === 'agent.message')).toHaveLength(2);
    await waitFor(async () => (await listEvents(t.client, s.id)).filter((e) => e.type === 'user.message').every((e) => e.processed_at !== null));
  });
});
