/**
 * kill -9 of a real server process while an OpenAI-compatible model card's stream is in flight:
 * after the restart the request is issued again through the same card and the turn finishes.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai/fake-openai.ts';
import { types, userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';

describe.each(BACKENDS)('model card stream cut by kill -9 (%s)', (backend) => {
  let fake: FakeOpenAI;
  let db: TestDatabase;
  let server: ChildServer | undefined;
  // No server-wide key: only the card can serve the model.
  const env = { ANTHROPIC_API_KEY: '', MODEL_RETRY_BASE_MS: '10' };
  const client = () => new Anthropic({ apiKey: 'unused', baseURL: server!.baseURL, maxRetries: 0 });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    db = await createTestDatabase(backend);
    server = await startChildServer(db, { env });
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
    await fake?.close();
    await db?.drop();
  }, 30_000);

  it('re-issues the cut request through the card after the restart and finishes the turn', async () => {
    await client().post('/v1/model_cards', { body: { name: 'vllm', provider: 'openai', base_url: fake.url, api_key: 'sk-vllm-card', models: ['qwen2.5-7b'] } });
    const agent = await client().beta.agents.create({ name: 'r', model: 'qwen2.5-7b' });
    const s = await client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    fake.script([{ kind: 'stall', text: 'half an ans' }, { kind: 'reply', text: 'The whole answer.' }]);
    await client().beta.sessions.events.send(s.id, { events: [userMessage('answer me')] });
    await fake.waitForStall(20_000);
    await server!.kill();
    server = await startChildServer(db, { env });
    const events = await waitForIdle(client(), s.id, 1, 30_000);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.body.messages).toEqual(fake.requests[0]!.body.messages);
    expect(fake.requests[1]!.headers.authorization).toBe('Bearer sk-vllm-card');
    const messages = events.filter((e) => e.type === 'agent.message') as (WireEvent & { content: { text: string }[] })[];
    expect(messages.map((m) => m.content[0]!.text)).toEqual(['The whole answer.']);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    const starts = types(events).filter((t) => t === 'span.model_request_start').length;
    expect(types(events).filter((t) => t === 'span.model_request_end').length).toBe(starts);
    fake.assertDone();
  }, 90_000);
});
