/**
 * Issue #24, findings 2, 3 and 5, from their reproductions: one key opened ~20,000 streams and the
 * server ran out of descriptors; 30 idle streams replaying a 36 MB session from last_event_id=0 took
 * RSS from 331 MB to 1.6 GB (500 events loaded per stream at once); one stored event of ≥ 4 MiB cut
 * every live stream and made every resume before it send 0 bytes ("client too slow").
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { openSse, type SseConnection } from '../support/sse-client.ts';
import { expectError, raw } from '../support/http.ts';
import { waitFor } from '../support/wait-for.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';

const MODEL = 'claude-sonnet-4-6';

async function newSession(t: TestServer): Promise<string> {
  const agent = await t.client.beta.agents.create({ name: 'sse', model: MODEL });
  const environment = await t.client.beta.environments.create({ name: `sse-${agent.id.slice(-6)}` });
  return (await t.client.beta.sessions.create({ agent: agent.id, environment_id: environment.id })).id;
}

/** Appends agent.message events straight to the log (as the harness would), `bytes` of text each. */
async function appendMessages(t: TestServer, sessionId: string, count: number, bytes: number): Promise<void> {
  const text = 'y'.repeat(bytes);
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, () => ({ type: 'agent.message' as const, payload: { content: [{ type: 'text' as const, text }] }, processedAt: Date.now() }));
    await t.server.services.log.append('tenant_test', sessionId, batch);
  }
}

describe.each(BACKENDS)('SSE stream caps (%s)', (backend) => {
  let t: TestServer;
  let sessionId: string;
  const open: SseConnection[] = [];
  beforeAll(async () => {
    t = await startTestServer(backend, { env: { SSE_MAX_STREAMS_PER_KEY: '3', SSE_MAX_STREAMS_PER_TENANT: '5', SSE_MAX_STREAMS: '7' } });
    sessionId = await newSession(t);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t.stop();
  });

  const stream = async (key: string, session = sessionId) => {
    const c = await openSse(`${t.baseURL}/v1/sessions/${session}/events/stream`, { headers: { 'x-api-key': key } });
    if (c.status === 200) open.push(c);
    return c;
  };
  const refused = async (key: string, cap: RegExp, session = sessionId) => {
    const res = await raw(t.baseURL, 'GET', `/v1/sessions/${session}/events/stream`, { apiKey: key });
    expectError(res, 429, 'rate_limit_error', cap);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  };

  it('refuses streams past the per-key, per-tenant and per-server caps with 429, and frees slots on close', async () => {
    for (let i = 0; i < 3; i++) expect((await stream(t.apiKey)).status).toBe(200);
    await refused(t.apiKey, /SSE_MAX_STREAMS_PER_KEY/);
    const sameTenantKey = (await createApiKey(t.server.services.store, { tenantId: 'tenant_test', name: 'second' })).key;
    for (let i = 0; i < 2; i++) expect((await stream(sameTenantKey)).status).toBe(200);
    await refused(sameTenantKey, /SSE_MAX_STREAMS_PER_TENANT/);

    const other = await t.clientForTenant('tenant_other');
    const otherKey = other.apiKey!;
    const agent = await other.beta.agents.create({ name: 'other', model: MODEL });
    const environment = await other.beta.environments.create({ name: 'other-env' });
    const otherSession = (await other.beta.sessions.create({ agent: agent.id, environment_id: environment.id })).id;
    for (let i = 0; i < 2; i++) expect((await stream(otherKey, otherSession)).status).toBe(200);
    await refused(otherKey, /SSE_MAX_STREAMS\b/, otherSession);
    // Everything else keeps working while the caps hold.
    expect((await raw(t.baseURL, 'GET', '/health')).status).toBe(200);
    expect((await other.beta.sessions.retrieve(otherSession)).id).toBe(otherSession);

    // Closing a stream gives its slot back (once the server has seen the connection close).
    open.shift()!.close();
    const reopened = await waitFor(async () => {
      const c = await stream(otherKey, otherSession);
      return c.status === 200 ? c : undefined;
    }, { message: 'a slot freed by closing a stream' });
    expect(reopened.status).toBe(200);
    await refused(otherKey, /SSE_MAX_STREAMS\b/, otherSession);
  });

  it('the SDK gets a RateLimitError past a cap, not a hang or a crash', async () => {
    const sdk = t.client.withOptions({ maxRetries: 0 });
    await expect(sdk.beta.sessions.events.stream(sessionId)).rejects.toMatchObject({ status: 429 });
  });
});

describe.each(BACKENDS)('SSE replay memory and oversized events (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.stop());

  it('replays a 36 MB session to 30 idle streams without loading it per stream, then delivers all of it', async () => {
    const sessionId = await newSession(t);
    await appendMessages(t, sessionId, 360, 100_000);
    const total = Number((await t.server.services.sessions.getRow('tenant_test', sessionId)).last_seq);
    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external + m.arrayBuffers;
    };
    // Each wait for a socket to drain must leave no listener behind on the response (they piled up, one per wait).
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const before = used();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, used());
    }, 5);
    const paused: { response: http.IncomingMessage; request: http.ClientRequest }[] = [];
    for (let i = 0; i < 30; i++) {
      paused.push(await new Promise((resolve, reject) => {
        const request = http.get(`${t.baseURL}/v1/sessions/${sessionId}/events/stream?last_event_id=0`, { headers: { 'x-api-key': t.apiKey } }, (response) => {
          // Replay has started once the first bytes are here; from then on this client reads nothing.
          response.once('readable', () => {
            response.pause();
            resolve({ response, request });
          });
        });
        request.on('error', reject);
      }));
    }
    // Let every stream fill its socket and stop on backpressure: the server answers other calls meanwhile.
    for (let i = 0; i < 5; i++) expect((await raw(t.baseURL, 'GET', `/v1/sessions/${sessionId}`, { apiKey: t.apiKey })).status).toBe(200);
    clearInterval(sampler);
    // Loading the session per stream (as before) is 30 × 36 MB of rows plus as much again parsed;
    // pages are 1 MiB, and a stream waits for its socket before the next page.
    expect((peak - before) / 2 ** 20).toBeLessThan(600);
    // A paused client is not cut off during replay: once it reads, it gets every event in order.
    const { response } = paused[0]!;
    let buffer = '';
    const ids: number[] = [];
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const id = /^id: (\d+)$/m.exec(buffer.slice(0, at));
        if (id) ids.push(Number(id[1]));
        buffer = buffer.slice(at + 2);
      }
    });
    response.resume();
    await waitFor(() => ids.length >= total, { timeoutMs: 60_000, message: 'every replayed event' });
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const p of paused) p.request.destroy();
    await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on a later tick
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });

  it('a stored 5 MB event becomes an oma.event_omitted marker: replay and live streams go on past it', async () => {
    const sessionId = await newSession(t);
    const live = await openSse(`${t.baseURL}/v1/sessions/${sessionId}/events/stream`, { headers: { 'x-api-key': t.apiKey } });
    await appendMessages(t, sessionId, 1, 10);
    // An event from before MAX_EVENT_BYTES existed: written to the log directly.
    await appendMessages(t, sessionId, 1, 5_000_000);
    await appendMessages(t, sessionId, 1, 10);
    const liveFrames = await live.waitForEvents(3, 20_000);
    expect(liveFrames.map((f) => f.event)).toEqual(['agent.message', 'oma.event_omitted', 'agent.message']);
    live.close();
    const resumed = await openSse(`${t.baseURL}/v1/sessions/${sessionId}/events/stream`, { headers: { 'x-api-key': t.apiKey, 'last-event-id': '0' } });
    const frames = await resumed.waitForEvents(3, 20_000);
    resumed.close();
    const marker = frames[1]!;
    expect(marker.event).toBe('oma.event_omitted');
    expect(Number(marker.id)).toBe(Number(frames[0]!.id) + 1);
    expect(JSON.parse(marker.data!)).toMatchObject({ type: 'oma.event_omitted', omitted_type: 'agent.message', id: expect.stringMatching(/^sevt_/), message: expect.stringContaining(`/v1/sessions/${sessionId}/events`) });
    expect(JSON.parse(marker.data!).size_bytes).toBeGreaterThan(5_000_000);
    // The SDK reads through it, marker included.
    const sdkStream = await t.client.beta.sessions.events.stream(sessionId, {}, { headers: { 'last-event-id': '0' } });
    const types: string[] = [];
    for await (const event of sdkStream) {
      types.push(event.type);
      if (types.length === 3) break;
    }
    expect(types).toEqual(['agent.message', 'oma.event_omitted', 'agent.message']);
    // The event itself is still in the log.
    const listed = await raw(t.baseURL, 'GET', `/v1/sessions/${sessionId}/events`, { apiKey: t.apiKey });
    expect(listed.json.data.filter((e: { type: string }) => e.type === 'agent.message')).toHaveLength(3);
  });
});
