/**
 * Sessions whose model requests go through a tenant's model card, with no ANTHROPIC_API_KEY on the
 * server: on Anthropic's wire format (the scripted fake Messages API) and on an OpenAI-compatible
 * endpoint (the scripted fake Chat Completions API), plus the resolution order and its errors.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, reply, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai/fake-openai.ts';
import { listEvents, types, userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

const CARD_KEY = 'sk-ant-card-key-for-tenant-0042';
const OPENAI_KEY = 'sk-openai-card-key-7788';

describe.each(BACKENDS)('sessions through model cards (%s)', (backend) => {
  let t: TestServer;
  let anthropic: FakeModel;
  let openai: FakeOpenAI;
  const createCard = (body: Record<string, unknown>) => t.client.post<any>('/v1/model_cards', { body });
  const session = async (model: string) => {
    const agent = await t.client.beta.agents.create({ name: `agent-${model}`, model, tools: [{ type: 'agent_toolset_20260401' }] });
    return (await t.client.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams)).id;
  };
  const say = (sessionId: string, message: string) => t.client.beta.sessions.events.send(sessionId, { events: [userMessage(message)] });

  beforeAll(async () => {
    anthropic = await startFakeModel();
    openai = await startFakeOpenAI();
    t = await startTestServer(backend, { env: { ANTHROPIC_API_KEY: '', LOG_LEVEL: 'trace' }, captureLogs: true });
  });
  afterAll(async () => {
    await t?.stop();
    await anthropic?.close();
    await openai?.close();
  });

  it("runs a tool-using turn through an Anthropic card; the endpoint sees the card's key and headers", async () => {
    await createCard({ name: 'anthropic', provider: 'anthropic', base_url: anthropic.url, api_key: CARD_KEY, models: ['claude-sonnet-4-6'], headers: { 'x-tenant-route': 'blue' } });
    anthropic.script([reply(toolUse('bash', { command: 'echo card-tool-ran' })), reply(text('All done.'))]);
    const id = await session('claude-sonnet-4-6');
    await say(id, 'run it');
    const events = await waitForIdle(t.client, id);
    expect(types(events)).toContain('agent.tool_result');
    const result = events.find((e) => e.type === 'agent.tool_result') as unknown as { content: { text: string }[] };
    expect(JSON.stringify(result.content)).toContain('card-tool-ran');
    expect(events.filter((e) => e.type === 'agent.message').map((e) => (e as unknown as { content: { text: string }[] }).content[0]!.text)).toEqual(['All done.']);
    expect(anthropic.requests).toHaveLength(2);
    for (const r of anthropic.requests) {
      // The SDK (1.15) sends an API key as a bearer token.
      expect(r.headers.authorization).toBe(`Bearer ${CARD_KEY}`);
      expect(r.headers['x-tenant-route']).toBe('blue');
    }
    anthropic.assertDone();
  });

  it('runs text and tool round trips through an OpenAI-compatible card, retrying a 429, with usage on the session', async () => {
    await createCard({ name: 'ollama', provider: 'openai', base_url: openai.url, api_key: OPENAI_KEY, models: ['llama3.1:8b'], headers: { 'x-org': 'acme' } });
    openai.script([
      { kind: 'error', status: 429, headers: { 'retry-after-ms': '5' } },
      { kind: 'reply', toolCalls: [{ name: 'bash', arguments: { command: 'echo from-openai' } }], usage: { prompt: 100, completion: 20 } },
      {
        kind: 'reply', text: 'The command printed from-openai.', usage: { prompt: 150, completion: 10, cached: 50 },
        expect: (r) => {
          const tool = r.body.messages.find((m: { role: string }) => m.role === 'tool');
          if (!tool || !String(tool.content).includes('from-openai')) throw new Error(`no tool result in ${JSON.stringify(r.body.messages)}`);
        },
      },
    ]);
    const id = await session('llama3.1:8b');
    const stream = await t.client.beta.sessions.events.stream(id, { event_deltas: ['agent.message'] } as never);
    await say(id, 'say something');
    const seen: string[] = [];
    for await (const event of stream as AsyncIterable<{ type: string }>) {
      seen.push(event.type);
      if (event.type === 'session.status_idle') break;
    }
    const events = await listEvents(t.client, id);
    expect(types(events)).toEqual(expect.arrayContaining(['session.error', 'agent.tool_use', 'agent.tool_result', 'agent.message']));
    expect(events.find((e) => e.type === 'session.error')).toMatchObject({ error: { type: 'model_rate_limited_error', retry_status: { type: 'retrying' } } });
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(seen).toContain('event_delta');
    const s = await t.client.beta.sessions.retrieve(id);
    expect(s.usage).toMatchObject({ input_tokens: 200, output_tokens: 30, cache_read_input_tokens: 50 });
    expect(openai.requests).toHaveLength(3);
    for (const r of openai.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(r.headers['x-org']).toBe('acme');
      expect(r.body.model).toBe('llama3.1:8b');
    }
    openai.assertDone();
  });

  it('stops an OpenAI-compatible stream on interrupt: no agent.message, span closed, idle end_turn', async () => {
    const id = await session('llama3.1:8b');
    openai.script([{ kind: 'stall', text: 'this will be cut' }]);
    await say(id, 'talk slowly');
    const stall = await openai.waitForStall();
    await t.client.beta.sessions.events.send(id, { events: [{ type: 'user.interrupt' }] });
    await stall.closed;
    const events = await waitForIdle(t.client, id);
    expect(types(events)).not.toContain('agent.message');
    expect(types(events)).toContain('span.model_request_end');
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    openai.assertDone();
  });

  it('applies a card change from the next request, and a deleted card gives a session.error naming what to configure', async () => {
    const card = await createCard({ name: 'switch', provider: 'anthropic', base_url: anthropic.url, api_key: 'sk-first-key', models: ['claude-haiku-4-5'] });
    const id = await session('claude-haiku-4-5');
    anthropic.script([reply(text('one')), reply(text('two'))]);
    await say(id, 'first');
    await waitForIdle(t.client, id, 1);
    await t.client.post(`/v1/model_cards/${card.id}`, { body: { api_key: 'sk-second-key' } });
    await say(id, 'second');
    await waitForIdle(t.client, id, 2);
    expect(anthropic.requests.slice(-2).map((r) => r.headers.authorization)).toEqual(['Bearer sk-first-key', 'Bearer sk-second-key']);

    await t.client.delete(`/v1/model_cards/${card.id}`);
    await say(id, 'third');
    const events = await waitForIdle(t.client, id, 3);
    const error = events.filter((e) => e.type === 'session.error').at(-1) as unknown as { error: { type: string; message: string; retry_status: { type: string } } };
    expect(error.error.retry_status.type).toBe('exhausted');
    expect(error.error.message).toContain('claude-haiku-4-5');
    expect(error.error.message).toMatch(/POST \/v1\/model_cards/);
    expect(error.error.message).toMatch(/ANTHROPIC_API_KEY/);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } });
    expect(anthropic.requests).toHaveLength(4);

    // A default card now serves every model id of the tenant, from the next message on.
    await createCard({ name: 'default', provider: 'openai', base_url: openai.url, api_key: OPENAI_KEY, models: ['gpt-4o-mini'], is_default: true });
    openai.script([{ kind: 'reply', text: 'served by the default card', expect: (r) => { if (r.body.model !== 'claude-haiku-4-5') throw new Error(r.body.model); } }]);
    await say(id, 'fourth');
    const after = await waitForIdle(t.client, id, 4);
    expect(after.filter((e) => e.type === 'agent.message').at(-1)).toMatchObject({ content: [{ type: 'text', text: 'served by the default card' }] });
    openai.assertDone();
    anthropic.assertDone();
  });

  it('refuses a card whose host name resolves to a private address not allowed, with a session.error and no retries', async () => {
    // localhost resolves to loopback, and only 127.0.0.1 is allowed (MODEL_CARD_ALLOWED_PRIVATE_HOSTS in test/support/server.ts).
    const base = openai.url.replace('127.0.0.1', 'localhost');
    await createCard({ name: 'sneaky', provider: 'openai', base_url: base, api_key: OPENAI_KEY, models: ['sneaky-model'] });
    const before = openai.requests.length;
    const id = await session('sneaky-model');
    await say(id, 'hello');
    const events = await waitForIdle(t.client, id);
    const errors = events.filter((e) => e.type === 'session.error') as unknown as { error: { message: string; retry_status: { type: string } } }[];
    expect(errors.map((e) => e.error.retry_status.type)).toEqual(['exhausted']);
    expect(errors[0]!.error.message).toMatch(/Refused to connect to localhost/);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' } });
    expect(openai.requests.length).toBe(before);
  });

  it('never writes a card key or header value into an event or a log line', async () => {
    await waitFor(() => t.logLines.length > 0);
    const all: string[] = [];
    for await (const s of t.client.beta.sessions.list({ limit: 100 })) all.push(JSON.stringify(await listEvents(t.client, s.id)));
    for (const secret of [CARD_KEY, OPENAI_KEY, 'sk-first-key', 'sk-second-key', 'acme', 'blue']) {
      expect(all.join('\n').includes(secret), `${secret} in an event`).toBe(false);
      expect(t.logLines.filter((l) => l.includes(secret)), `${secret} in a log line`).toEqual([]);
    }
  });
});
