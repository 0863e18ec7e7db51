/**
 * The OpenAI-compatible model client against the scripted Chat Completions fake: the request it
 * sends, the events it makes of streamed chunks, and its error mapping.
 */
import { describe, it, expect, afterAll, beforeAll, beforeEach } from 'vitest';
import { OpenAIModelClient } from '../../src/harness/model/openai-client.ts';
import { ModelAbortedError, ModelError, type ModelRequest, type ModelStreamEvent } from '../../src/harness/model/model-client.ts';
import { collectResponse } from '../../src/harness/model/collect-response.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai/fake-openai.ts';
import { maxTokensFieldFor, toChatCompletionRequest } from '../../src/harness/model/openai-request.ts';

const request = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  model: 'llama3.1:8b',
  maxTokens: 1000,
  system: 'You are terse.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
  ...extra,
});

async function drain(events: AsyncIterable<ModelStreamEvent>): Promise<ModelStreamEvent[]> {
  const out: ModelStreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('OpenAI-compatible model client', () => {
  let fake: FakeOpenAI;
  let client: OpenAIModelClient;
  const notes: string[] = [];
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAIModelClient({ apiKey: 'sk-openai-card-key', baseURL: fake.url, defaultHeaders: { 'x-gateway': 'g1' }, onNote: (n) => notes.push(n) });
  });
  beforeEach(() => {
    notes.length = 0;
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('streams a text reply: response_start, live text deltas, block_end, usage from the last chunk, end_turn', async () => {
    fake.script([{ kind: 'reply', text: 'Hello there, friend.', usage: { prompt: 30, completion: 5, cached: 10 } }]);
    const events = await drain(client.stream(request(), new AbortController().signal));
    expect(events[0]).toMatchObject({ type: 'response_start', model: 'llama3.1:8b' });
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Hello there, friend.');
    expect(events.slice(-3)).toEqual([
      { type: 'block_end', index: 0, block: { type: 'text', text: 'Hello there, friend.' } },
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 5, cacheCreationInputTokens: 0, cacheReadInputTokens: 10 } },
      { type: 'stop', reason: 'end_turn' },
    ]);
    const [sent] = fake.requests.slice(-1);
    expect(sent!.headers.authorization).toBe('Bearer sk-openai-card-key');
    expect(sent!.headers['x-gateway']).toBe('g1');
    expect(sent!.body).toMatchObject({ model: 'llama3.1:8b', stream: true, stream_options: { include_usage: true }, max_tokens: 1000 });
    expect(sent!.body.messages).toEqual([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'hello' }]);
    fake.assertDone();
  });

  it('reassembles tool calls split across chunks, after the text, with stop tool_use', async () => {
    fake.script([{ kind: 'reply', text: 'Let me look.', toolCalls: [{ id: 'call_a', name: 'bash', arguments: { command: 'ls -la /tmp' } }, { id: 'call_b', name: 'read', arguments: { file_path: '/etc/hostname' } }], chunkSize: 3 }]);
    const tools = [{ name: 'bash', description: 'run', inputSchema: { type: 'object', properties: { command: { type: 'string' } } } }];
    const response = await collectResponse(client.stream(request({ tools }), new AbortController().signal));
    expect(response.stopReason).toBe('tool_use');
    expect(response.content).toEqual([
      { type: 'text', text: 'Let me look.' },
      { type: 'tool_use', id: 'call_a', name: 'bash', input: { command: 'ls -la /tmp' } },
      { type: 'tool_use', id: 'call_b', name: 'read', input: { file_path: '/etc/hostname' } },
    ]);
    expect(fake.requests.at(-1)!.body.tools).toEqual([{ type: 'function', function: { name: 'bash', description: 'run', parameters: tools[0]!.inputSchema } }]);
    fake.assertDone();
  });

  it('sends history: tool calls as tool_calls, results as tool messages, images as image_url; drops thinking with a note', async () => {
    fake.script([{ kind: 'reply', text: 'done' }]);
    await drain(client.stream(request({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: 'file x.png' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'PNG image' }], is_error: false }, { type: 'text', text: 'and now?' }] },
      ],
    }), new AbortController().signal));
    expect(fake.requests.at(-1)!.body.messages.slice(1)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'bash', arguments: '{"command":"file x.png"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'PNG image' },
      { role: 'user', content: 'and now?' },
    ]);
    expect(notes.join('\n')).toMatch(/thinking block in message 2/);
    fake.assertDone();
  });

  it('maps finish reasons: length → max_tokens, content_filter → refusal', async () => {
    fake.script([{ kind: 'reply', text: 'cut', finishReason: 'length' }, { kind: 'reply', text: '', finishReason: 'content_filter' }]);
    expect((await collectResponse(client.stream(request(), new AbortController().signal))).stopReason).toBe('max_tokens');
    expect((await collectResponse(client.stream(request(), new AbortController().signal))).stopReason).toBe('refusal');
    fake.assertDone();
  });

  it('maps errors like the Anthropic client: 429 rate_limited with retry-after, 500 server, 400 client', async () => {
    fake.script([
      { kind: 'error', status: 429, headers: { 'retry-after': '2' } },
      { kind: 'error', status: 503 },
      { kind: 'error', status: 400, body: { error: { message: 'model "nope" not found', type: 'invalid_request_error' } } },
    ]);
    const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as ModelError);
    const rate = await failure(drain(client.stream(request(), new AbortController().signal)));
    expect(rate).toBeInstanceOf(ModelError);
    expect([rate!.kind, rate!.status, rate!.retryAfterMs, rate!.isRetryable]).toEqual(['rate_limited', 429, 2000, true]);
    const server = await failure(drain(client.stream(request(), new AbortController().signal)));
    expect([server!.kind, server!.status]).toEqual(['server', 503]);
    const bad = await failure(drain(client.stream(request(), new AbortController().signal)));
    expect([bad!.kind, bad!.isRetryable]).toEqual(['client', false]);
    expect(bad!.message).toContain('model "nope" not found');
    expect(bad!.message).not.toContain('sk-openai-card-key');
    fake.assertDone();
  });

  it('stops mid-stream on abort with ModelAbortedError and closes the connection', async () => {
    fake.script([{ kind: 'stall', text: 'partial answer' }]);
    const controller = new AbortController();
    const seen: ModelStreamEvent[] = [];
    const run = (async () => {
      for await (const e of client.stream(request(), controller.signal)) seen.push(e);
    })();
    const stall = await fake.waitForStall();
    await waitUntil(() => seen.some((e) => e.type === 'text_delta'));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(ModelAbortedError);
    await stall.closed;
    expect(seen.some((e) => e.type === 'stop')).toBe(false);
    fake.assertDone();
  });

  it("names the output cap max_completion_tokens for OpenAI's own hosts and max_tokens elsewhere", () => {
    expect(maxTokensFieldFor('https://api.openai.com/v1')).toBe('max_completion_tokens');
    expect(maxTokensFieldFor('https://acme.openai.azure.com/openai/v1')).toBe('max_completion_tokens');
    expect(maxTokensFieldFor('http://127.0.0.1:11434/v1')).toBe('max_tokens');
    const { params } = toChatCompletionRequest(request(), 'max_completion_tokens');
    expect(params).toMatchObject({ max_completion_tokens: 1000 });
    expect(params).not.toHaveProperty('max_tokens');
  });

  it('reports a connection failure as a retryable connection error', async () => {
    const dead = new OpenAIModelClient({ apiKey: 'k', baseURL: 'http://127.0.0.1:1/v1' });
    const error = await drain(dead.stream(request(), new AbortController().signal)).then(() => undefined, (e: unknown) => e as ModelError);
    expect([error?.kind, error?.isRetryable]).toEqual(['connection', true]);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const { waitFor } = await import('../support/wait-for.ts');
  await waitFor(check, { timeoutMs: 5000, intervalMs: 5 });
}
