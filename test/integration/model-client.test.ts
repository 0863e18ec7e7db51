import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient, MISSING_API_KEY_MESSAGE } from '../../src/harness/model/anthropic-client.ts';
import { collectResponse } from '../../src/harness/model/collect-response.ts';
import { ModelAbortedError, ModelError, type ModelRequest, type ModelStreamEvent } from '../../src/harness/model/model-client.ts';
import {
  disconnect,
  expecting,
  httpError,
  reply,
  stall,
  startFakeModel,
  streamError,
  text,
  thinking,
  toolUse,
  type FakeModel,
} from '../support/fake-model/index.ts';

const REQUEST: ModelRequest = {
  model: 'claude-test-model',
  maxTokens: 1024,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }],
};

let fake: FakeModel;
let client: AnthropicModelClient;

beforeEach(async () => {
  fake = await startFakeModel();
  client = new AnthropicModelClient({ apiKey: 'sk-test', baseURL: fake.url });
});

afterEach(async () => {
  await fake.close();
});

async function capture(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

async function captureModelError(promise: Promise<unknown>): Promise<ModelError> {
  const error = await capture(promise);
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

function send(request: ModelRequest = REQUEST, signal = new AbortController().signal, observe?: (event: ModelStreamEvent) => void) {
  return collectResponse(client.stream(request, signal), observe);
}

describe('AnthropicModelClient against the fake model', () => {
  it('streams text deltas in order and resolves with the final message', async () => {
    fake.script([reply(text('Hello there, how can I help?'))]);
    const deltas: ModelStreamEvent[] = [];
    const message = await send(REQUEST, undefined, (delta) => deltas.push(delta));

    expect(message.id).toMatch(/^msg_/);
    expect(message.model).toBe('claude-test-model');
    expect(message.stopReason).toBe('end_turn');
    expect(message.content).toEqual([{ type: 'text', text: 'Hello there, how can I help?'}]);
    expect(deltas[0]).toEqual({ type: 'response_start', id: message.id, model: 'claude-test-model' });
    expect(deltas[1]).toEqual({ type: 'text_start', index: 0 });
    expect(deltas).toContainEqual({ type: 'block_end', index: 0, block: { type: 'text', text: 'Hello there, how can I help?' } });
    expect(deltas.at(-1)).toEqual({ type: 'stop', reason: 'end_turn' });
    const texts = deltas.filter((delta) => delta.type === 'text_delta');
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.map((delta) => delta.text).join('')).toBe('Hello there, how can I help?');
    expect(fake.requests[0]!.body.stream).toBe(true);
    fake.assertDone();
  });

  it('assembles tool_use input from input_json_delta chunks', async () => {
    const input = { command: 'ls -la /tmp', timeout_ms: 5000, env: { LANG: 'C' } };
    fake.script([reply(text('Let me look.'), toolUse('bash', input, 'toolu_fixed'))]);
    const deltas: ModelStreamEvent[] = [];
    const message = await send(REQUEST, undefined, (delta) => deltas.push(delta));

    expect(message.stopReason).toBe('tool_use');
    expect(message.content[1]).toEqual({ type: 'tool_use', id: 'toolu_fixed', name: 'bash', input });
    const chunks = deltas.filter((delta) => delta.type === 'tool_use_delta');
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((delta) => delta.index === 1)).toBe(true);
    expect(JSON.parse(chunks.map((delta) => delta.partialJson).join(''))).toEqual(input);
    expect(deltas).toContainEqual({ type: 'tool_use_start', index: 1, id: 'toolu_fixed', name: 'bash' });
    expect(deltas).toContainEqual({ type: 'block_end', index: 1, block: { type: 'tool_use', id: 'toolu_fixed', name: 'bash', input } });
    fake.assertDone();
  });

  it('returns thinking blocks with their signature and announces them', async () => {
    fake.script([reply(thinking('The user wants a greeting.', 'sig_abc'), text('Hi!'))]);
    const deltas: ModelStreamEvent[] = [];
    const message = await send(REQUEST, undefined, (delta) => deltas.push(delta));

    expect(message.content[0]).toEqual({ type: 'thinking', thinking: 'The user wants a greeting.', signature: 'sig_abc' });
    expect(deltas[1]).toEqual({ type: 'thinking_start', index: 0 });
    const thoughts = deltas.filter((delta) => delta.type === 'thinking_delta');
    expect(thoughts.map((delta) => delta.thinking).join('')).toBe('The user wants a greeting.');
    fake.assertDone();
  });

  it('reports usage including cache fields', async () => {
    const usage = { input_tokens: 1200, output_tokens: 42, cache_creation_input_tokens: 900, cache_read_input_tokens: 300 };
    fake.script([reply(text('ok'), { usage })]);
    const message = await send();
    expect(message.usage).toEqual({ inputTokens: 1200, outputTokens: 42, cacheCreationInputTokens: 900, cacheReadInputTokens: 300 });
    fake.assertDone();
  });

  it('answers a non-streaming request with the JSON message', async () => {
    fake.script([reply(text('plain json'))]);
    const response = await fetch(`${fake.url}/v1/messages`, { method: 'POST', body: JSON.stringify(REQUEST) });
    const body = (await response.json()) as { content: unknown[]; stop_reason: string };
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(body.content).toEqual([{ type: 'text', text: 'plain json'}]);
    expect(body.stop_reason).toBe('end_turn');
    fake.assertDone();
  });
});

describe('AnthropicModelClient error mapping', () => {
  it.each([
    { status: 429, kind: 'rate_limited', retryAfter: 7, retryAfterMs: 7000 },
    { status: 529, kind: 'overloaded', retryAfter: 2, retryAfterMs: 2000 },
    { status: 500, kind: 'server', retryAfter: undefined, retryAfterMs: undefined },
    { status: 503, kind: 'server', retryAfter: undefined, retryAfterMs: undefined },
    { status: 401, kind: 'client', retryAfter: undefined, retryAfterMs: undefined },
  ])('maps HTTP $status to $kind', async ({ status, kind, retryAfter, retryAfterMs }) => {
    fake.script([httpError(status, { retryAfter })]);
    const error = await captureModelError(send());
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.retryAfterMs).toBe(retryAfterMs);
    expect(error.isRetryable).toBe(kind !== 'client');
    fake.assertDone();
  });

  it('prefers retry-after-ms and accepts an HTTP date in retry-after', async () => {
    fake.script([
      httpError(429, { retryAfterMs: 1500, retryAfter: 30 }),
      httpError(429, { retryAfter: new Date(Date.now() + 60_000).toUTCString() }),
    ]);
    expect((await captureModelError(send())).retryAfterMs).toBe(1500);
    const dated = await captureModelError(send());
    expect(dated.retryAfterMs).toBeGreaterThan(55_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(60_000);
    fake.assertDone();
  });

  it('treats an overloaded_error type as overloaded whatever the status', async () => {
    fake.script([httpError(503, { errorType: 'overloaded_error' })]);
    expect((await captureModelError(send())).kind).toBe('overloaded');
  });

  it('keeps the API message of a 400 and of an invalid key', async () => {
    fake.script([
      httpError(400, { message: 'messages.0.content: Field required' }),
      httpError(401, { message: 'invalid x-api-key' }),
    ]);
    const invalid = await captureModelError(send());
    expect(invalid).toMatchObject({ kind: 'client', status: 400 });
    expect(invalid.message).toContain('messages.0.content: Field required');
    expect(invalid.message).toContain('invalid_request_error');
    const auth = await captureModelError(send());
    expect(auth.message).toContain('invalid x-api-key');
    fake.assertDone();
  });

  it('maps an SSE error event after the stream began to its error type', async () => {
    fake.script([streamError({ errorType: 'overloaded_error', message: 'Overloaded' })]);
    const error = await captureModelError(send());
    expect(error.kind).toBe('overloaded');
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('Overloaded');
  });

  it('reports a mid-stream disconnect as a connection error', async () => {
    fake.script([disconnect({ content: [text('This answer will be cut short.')], afterDeltas: 2 })]);
    const deltas: ModelStreamEvent[] = [];
    const error = await captureModelError(send(REQUEST, undefined, (delta) => deltas.push(delta)));
    expect(error.kind).toBe('connection');
    expect(error.isRetryable).toBe(true);
    expect(deltas.filter((delta) => delta.type === 'text_delta')).toHaveLength(2);
    fake.assertDone();
  });

  it('reports an unreachable server as a connection error', async () => {
    const closed = await startFakeModel();
    const url = closed.url;
    await closed.close();
    const offline = new AnthropicModelClient({ apiKey: 'sk-test', baseURL: url });
    const error = await captureModelError(collectResponse(offline.stream(REQUEST, new AbortController().signal)));
    expect(error.kind).toBe('connection');
  });

  it('fails requests, not construction, when no API key is configured', async () => {
    const keyless = new AnthropicModelClient({ baseURL: fake.url });
    const error = await captureModelError(collectResponse(keyless.stream(REQUEST, new AbortController().signal)));
    expect(error.kind).toBe('client');
    expect(error.message).toBe(MISSING_API_KEY_MESSAGE);
    expect(error.message).toContain('ANTHROPIC_API_KEY');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('AnthropicModelClient cancellation', () => {
  it('rejects with ModelAbortedError promptly when aborted during a stall, and closes the connection', async () => {
    fake.script([stall({ content: [text('Thinking out loud')], afterDeltas: 1 })]);
    const controller = new AbortController();
    const deltas: ModelStreamEvent[] = [];
    const pending = capture(send(REQUEST, controller.signal, (delta) => deltas.push(delta)));
    const stalled = await fake.waitForStall();
    const started = performance.now();
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(ModelAbortedError);
    expect(performance.now() - started).toBeLessThan(1000);
    await stalled.closed;
    expect(stalled.request.index).toBe(0);
    fake.assertDone();
  });

  it('rejects without a request when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await capture(send(REQUEST, controller.signal))).toBeInstanceOf(ModelAbortedError);
    expect(fake.requests).toHaveLength(0);
  });

  it('sends nothing until the stream is iterated', async () => {
    fake.script([reply(text('later'))]);
    const events = client.stream(REQUEST, new AbortController().signal);
    expect(fake.requests).toHaveLength(0);
    expect((await collectResponse(events)).content).toEqual([{ type: 'text', text: 'later' }]);
    fake.assertDone();
  });

  it('cancels the request when the consumer breaks out of the stream', async () => {
    fake.script([stall({ content: [text('partial')], afterDeltas: 1 })]);
    for await (const event of client.stream(REQUEST, new AbortController().signal)) {
      if (event.type === 'text_delta') break;
    }
    await (await fake.waitForStall()).closed;
    fake.assertDone();
  });

  it('rethrows an error from the consumer as is and cancels the request', async () => {
    fake.script([stall({ content: [text('partial')], afterDeltas: 1 })]);
    const bug = new Error('bug in the consumer');
    const error = await capture(
      send(REQUEST, undefined, (delta) => {
        if (delta.type === 'text_delta') throw bug;
      }),
    );
    expect(error).toBe(bug);
    await (await fake.waitForStall()).closed;
  });

  it('cancels a silent stream after idleTimeoutMs as a connection error', async () => {
    fake.script([stall()]);
    const watched = new AnthropicModelClient({ apiKey: 'sk-test', baseURL: fake.url, idleTimeoutMs: 200 });
    const error = await captureModelError(collectResponse(watched.stream(REQUEST, new AbortController().signal)));
    expect(error.kind).toBe('connection');
    expect(error.message).toContain('200 ms');
    await (await fake.waitForStall()).closed;
  });
});

describe('fake model script checks', () => {
  it('assertDone reports an unused script entry', async () => {
    fake.script([reply(text('one')), reply(text('two'))]);
    await send();
    expect(() => fake.assertDone()).toThrow(/1 script entry was never used/);
  });

  it('assertDone reports an extra call, which is answered with a 500', async () => {
    fake.script([reply(text('only one'))]);
    await send();
    const error = await captureModelError(send());
    expect(error).toMatchObject({ kind: 'server', status: 500 });
    expect(() => fake.assertDone()).toThrow(/unexpected call, the script has no entries left/);
  });

  it('a failed expectation is answered with a 400 and reported by assertDone', async () => {
    fake.script([
      expecting(text('never sent'), (request) => {
        expect(request.body.tools?.map((tool) => ('name' in tool ? tool.name : tool.type))).toEqual(['bash']);
      }),
    ]);
    const error = await captureModelError(send());
    expect(error).toMatchObject({ kind: 'client', status: 400 });
    expect(() => fake.assertDone()).toThrow(/expectation failed/);
  });

  it('a function entry answers from the request', async () => {
    fake.script([(request) => text(`you said ${JSON.stringify(request.body.messages[0]!.content)}`)]);
    const message = await send();
    expect(message.content[0]).toMatchObject({ text: 'you said [{"type":"text","text":"Say hello."}]' });
    fake.assertDone();
  });

  it('records the credentials and default headers the client sent', async () => {
    fake.script([reply(text('ok'))]);
    const withHeaders = new AnthropicModelClient({ apiKey: 'sk-recorded', baseURL: fake.url, defaultHeaders: { 'anthropic-beta': 'test-beta' } });
    await collectResponse(withHeaders.stream(REQUEST, new AbortController().signal));
    const { headers } = fake.requests[0]!;
    // This SDK release sends the key as a bearer token; older ones used x-api-key.
    expect(String(headers['x-api-key'] ?? headers.authorization)).toContain('sk-recorded');
    expect(headers['anthropic-beta']).toBe('test-beta');
    expect(headers['anthropic-version']).toBeTruthy();
    fake.assertDone();
  });

  it('paces a slow reply and records the request as sent, cache_control included', async () => {
    fake.script([reply(text('slow but steady'), { chunkDelayMs: 20 })]);
    const request: ModelRequest = {
      ...REQUEST,
      promptCache: true,
      system: 'You are a careful assistant.',
      tools: [
        { name: 'read', description: 'Read a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
        { name: 'bash', description: 'Run a command', inputSchema: { type: 'object', properties: { command: { type: 'string' } } } },
      ],
    };
    const started = performance.now();
    await send(request);
    expect(performance.now() - started).toBeGreaterThanOrEqual(20 * 5);

    const [recorded] = await fake.waitForRequests(1);
    expect(recorded!.headers['content-type']).toContain('application/json');
    expect(recorded!.body.system).toEqual([
      { type: 'text', text: 'You are a careful assistant.', cache_control: { type: 'ephemeral' } },
    ]);
    expect(recorded!.body.tools?.map((tool) => 'cache_control' in tool && tool.cache_control)).toEqual([false, { type: 'ephemeral' }]);
    expect(recorded!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Say hello.', cache_control: { type: 'ephemeral' } }] },
    ]);
    fake.assertDone();
  });
});
