/**
 * GET /v1/sessions/{id}/events/stream (issue 3) on both backends: the official SDK sees live
 * events, the raw wire format, resume with Last-Event-ID (header and query), gapless hand-over
 * from replay to live under concurrent appends, slow-consumer isolation, and the error paths.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { connect } from 'node:net';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { openSse, type SseConnection } from '../support/sse-client.ts';
import { waitFor } from '../support/wait-for.ts';
import type { NewEvent } from '../../src/events/types.ts';

const TENANT = 'tenant_test';
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const message = (text: string): NewEvent => ({ type: 'agent.message', payload: { content: [{ type: 'text', text }] }, processedAt: Date.now() });

describe.each(BACKENDS)('events stream (%s)', (backend) => {
  let t: TestServer;
  const open: SseConnection[] = [];
  beforeAll(async () => { t = await startTestServer(backend); });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.stop();
  });

  const newSession = async () => {
    const agent = await t.client.beta.agents.create({ name: 'a', model: 'claude-sonnet-4-6' });
    const env = await t.client.beta.environments.create({ name: `e-${Math.random().toString(36).slice(2)}` });
    return (await t.client.beta.sessions.create({ agent: agent.id, environment_id: env.id })).id;
  };
  const emit = async (sessionId: string, text: string) => {
    const r = await fetch(`${t.baseURL}/v1/sessions/${sessionId}/_test_emit`, { method: 'POST', headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    expect(r.status).toBe(200);
    return (await r.json()) as { id: string };
  };
  const stream = async (sessionId: string, query = '', headers: Record<string, string> = {}) => {
    const c = await openSse(`${t.baseURL}/v1/sessions/${sessionId}/events/stream${query}`, { headers: { 'x-api-key': t.apiKey, ...headers } });
    open.push(c);
    return c;
  };
  const textOf = (data: string | undefined) => (JSON.parse(data!) as { content: { text: string }[] }).content[0]!.text;

  it('the official SDK stream sees live events and not earlier ones', async () => {
    const sessionId = await newSession();
    await emit(sessionId, 'before-1');
    await emit(sessionId, 'before-2');
    const s = await t.client.beta.sessions.events.stream(sessionId);
    const seen: { type: string; id: string; text?: string }[] = [];
    const reading = (async () => {
      for await (const ev of s) {
        const e = ev as { type: string; id: string; content?: { text: string }[] };
        seen.push({ type: e.type, id: e.id, text: e.content?.[0]?.text });
        if (seen.length === 2) break;
      }
    })();
    const a = await emit(sessionId, 'live-1');
    const b = await emit(sessionId, 'live-2');
    await Promise.race([reading, new Promise((_, rej) => setTimeout(() => rej(new Error('SDK stream timed out')), 10_000).unref())]);
    expect(seen).toEqual([
      { type: 'agent.message', id: a.id, text: 'live-1' },
      { type: 'agent.message', id: b.id, text: 'live-2' },
    ]);
  });

  it('frame format, headers flushed before any event, no-cache and x-accel-buffering', async () => {
    const sessionId = await newSession();
    await emit(sessionId, 'old');
    // fetch resolves with the headers while no event is pending at all.
    const c = await stream(sessionId);
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(c.headers.get('cache-control')).toMatch(/no-cache/);
    expect(c.headers.get('x-accel-buffering')).toBe('no');
    // One request id (the middleware's and the stream's are the same header, sent once).
    expect(c.headers.get('request-id')).toMatch(/^req_01[1-9A-HJ-NP-Za-km-z]{24}$/);
    expect(c.events()).toEqual([]);
    await emit(sessionId, 'line1\nline2 "quoted"');
    const [f] = await c.waitForEvents(1);
    expect(f!.event).toBe('agent.message');
    expect(f!.id).toBe('2');
    expect(f!.dataLines).toBe(1);
    const data = JSON.parse(f!.data!) as { type: string; id: string; processed_at: string };
    expect(data.type).toBe(f!.event);
    expect(data.id).toMatch(/^sevt_/);
    expect(textOf(f!.data)).toBe('line1\nline2 "quoted"');
    expect(f!.raw).toBe(`event: agent.message\nid: 2\ndata: ${f!.data}`);
    expect(c.frames.some((fr) => fr.retry !== undefined)).toBe(true);
  });

  it('works with Accept: application/json', async () => {
    const sessionId = await newSession();
    const c = await stream(sessionId, '', { accept: 'application/json' });
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await emit(sessionId, 'x');
    expect((await c.waitForEvents(1))[0]!.id).toBe('1');
  });

  it.each([
    ['Last-Event-ID header', (n: number) => ['', { 'last-event-id': String(n) }] as const],
    ['?last_event_id=', (n: number) => [`?last_event_id=${n}`, {}] as const],
  ])('resume with %s sends exactly seq > N, then live', async (_name, how) => {
    const sessionId = await newSession();
    for (let i = 1; i <= 5; i++) await emit(sessionId, `e${i}`);
    const [query, headers] = how(2);
    const c = await stream(sessionId, query, headers);
    await c.waitForEvents(3);
    await emit(sessionId, 'e6');
    await c.waitForEvents(4);
    expect(c.ids()).toEqual([3, 4, 5, 6]);
    expect(c.events().map((f) => textOf(f.data))).toEqual(['e3', 'e4', 'e5', 'e6']);
  });

  it('replay → live hand-over has no gap or duplicate while a writer keeps appending', async () => {
    const sessionId = await newSession();
    const log = t.server.services.log;
    for (let b = 0; b < 20; b++) await log.append(TENANT, sessionId, range(1, 100).map((i) => message(`s${b}.${i}`)));
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing && written < 600) {
        await log.append(TENANT, sessionId, [message(`live${written}`)]);
        written++;
      }
    })();
    const writer2 = (async () => {
      for (let i = 0; i < 100; i++) await emit(sessionId, `http${i}`);
    })();
    const c = await stream(sessionId, '', { 'last-event-id': '0' });
    await waitFor(() => c.events().length >= 2000, { timeoutMs: 60_000, message: 'replay of 2000' });
    writing = false;
    await writer;
    await writer2;
    const total = 2000 + written + 100;
    await c.waitForEvents(total, 60_000);
    expect(c.ids()).toEqual(range(1, total));
    // The writer really did overlap the replay.
    expect(written).toBeGreaterThan(0);
  }, 120_000);

  it('a live event after a gap is preceded by the missing range from the log, then live events flow again', async () => {
    const sessionId = await newSession();
    const c = await stream(sessionId);
    await emit(sessionId, 'live-1');
    await c.waitForEvents(1);
    // Committed without being published to this process's streams (as another instance's commit
    // before its notification arrives): the stream learns of them only from the next live event.
    const store = t.server.services.store;
    for (const text of ['unpublished-2', 'unpublished-3']) {
      const res = await store.appendEvents({ tenantId: TENANT, sessionId, now: Date.now(), events: [{ id: `sevt_gap_${text}`, type: 'agent.message', payload: { content: [{ type: 'text', text }] }, processedAt: Date.now() }] });
      expect(res.kind).toBe('ok');
    }
    await emit(sessionId, 'live-4');
    await emit(sessionId, 'live-5');
    await c.waitForEvents(5);
    expect(c.ids()).toEqual([1, 2, 3, 4, 5]);
    expect(c.events().map((f) => textOf(f.data))).toEqual(['live-1', 'unpublished-2', 'unpublished-3', 'live-4', 'live-5']);
  });

  it('one live event reaches every open stream of the session exactly once, in order', async () => {
    const sessionId = await newSession();
    const streams = await Promise.all(range(1, 20).map(() => stream(sessionId)));
    for (let i = 1; i <= 5; i++) await emit(sessionId, `fan-${i}`);
    for (const s of streams) {
      await s.waitForEvents(5);
      expect(s.ids()).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('a slow consumer does not stall a fast one and is disconnected', async () => {
    const sessionId = await newSession();
    const url = new URL(t.baseURL);
    const hub = t.server.services.log.hub;
    const before = hub.subscriberCount();
    // A raw client that sends the request and then never reads.
    const slow = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => slow.once('connect', resolve));
    slow.pause();
    slow.write(`GET /v1/sessions/${sessionId}/events/stream HTTP/1.1\r\nhost: ${url.host}\r\nx-api-key: ${t.apiKey}\r\naccept: text/event-stream\r\n\r\n`);
    await waitFor(() => hub.subscriberCount() === before + 1, { message: 'slow subscriber registered' });
    const fast = await stream(sessionId);
    await waitFor(() => hub.subscriberCount() === before + 2, { message: 'fast subscriber registered' });
    // ~24 MB of events: more than loopback socket buffers plus the server's 4 MiB bound.
    const big = 'x'.repeat(256 * 1024);
    const n = 96;
    // The fast client shares this event loop, so pace the writer to it (it reads each event
    // before the next append); the slow one never reads at all.
    for (let i = 0; i < n; i++) {
      await t.server.services.log.append(TENANT, sessionId, [message(`${i}:${big}`)]);
      await fast.waitForEvents(i + 1, 30_000);
    }
    expect(fast.ids()).toEqual(range(1, n));
    // The slow one was dropped server-side (it can resume with Last-Event-ID).
    await waitFor(() => hub.subscriberCount() === before + 1, { timeoutMs: 30_000, message: 'slow subscriber dropped' });
    slow.destroy();
    fast.close();
  }, 120_000);

  it('event_deltas[]=bogus → 400 before streaming', async () => {
    const sessionId = await newSession();
    const r = await fetch(`${t.baseURL}/v1/sessions/${sessionId}/events/stream?event_deltas[]=bogus`, { headers: { 'x-api-key': t.apiKey } });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('unknown session → 404 JSON before streaming', async () => {
    const r = await fetch(`${t.baseURL}/v1/sessions/sesn_nope/events/stream`, { headers: { 'x-api-key': t.apiKey } });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await r.json()) as { type: string; error: { type: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('not_found_error');
  });

  it('deleting the session sends session.deleted and ends the stream', async () => {
    const sessionId = await newSession();
    await emit(sessionId, 'a');
    const c = await stream(sessionId);
    await t.client.beta.sessions.delete(sessionId);
    const f = await c.waitForFrame((fr) => fr.event === 'session.deleted');
    expect((JSON.parse(f.data!) as { type: string }).type).toBe('session.deleted');
    expect(f.id).toBe('2');
    await Promise.race([c.ended, new Promise((_, rej) => setTimeout(() => rej(new Error('stream did not end')), 10_000).unref())]);
    expect(c.isEnded()).toBe(true);
  });

  it('extension (oma.*) events are hidden unless include_extensions=true', async () => {
    const sessionId = await newSession();
    const plain = await stream(sessionId, '?');
    const ext = await stream(sessionId, '?include_extensions=true');
    const log = t.server.services.log;
    await log.append(TENANT, sessionId, [message('one')]);
    await log.append(TENANT, sessionId, [{ type: 'oma.turn_recovered', payload: { reason: 'test' }, processedAt: Date.now() }]);
    await log.append(TENANT, sessionId, [message('three')]);
    await ext.waitForEvents(3);
    await plain.waitForEvents(2);
    expect(ext.events().map((f) => [f.event, f.id])).toEqual([['agent.message', '1'], ['oma.turn_recovered', '2'], ['agent.message', '3']]);
    expect(plain.events().map((f) => [f.event, f.id])).toEqual([['agent.message', '1'], ['agent.message', '3']]);
    // Replay hides them too.
    const replay = await stream(sessionId, '', { 'last-event-id': '0' });
    await replay.waitForEvents(2);
    await log.append(TENANT, sessionId, [message('four')]);
    await replay.waitForEvents(3);
    expect(replay.ids()).toEqual([1, 3, 4]);
  });

  it('SSE_KEEP_ALIVE_MS: idle streams get keep-alive comments, the one left open keeps getting them after the other closed, and stays live', async () => {
    const k = await startTestServer(backend, { env: { SSE_KEEP_ALIVE_MS: '200' } });
    try {
      const agent = await k.client.beta.agents.create({ name: 'a', model: 'claude-sonnet-4-6' });
      const env = await k.client.beta.environments.create({ name: 'e' });
      const s = await k.client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
      const idle = await openSse(`${k.baseURL}/v1/sessions/${s.id}/events/stream`, { headers: { 'x-api-key': k.apiKey } });
      const left = await openSse(`${k.baseURL}/v1/sessions/${s.id}/events/stream`, { headers: { 'x-api-key': k.apiKey } });
      try {
        const isPing = (f: { comments: string[] }) => f.comments.includes('keep-alive');
        await idle.waitForFrame(isPing);
        await left.waitForFrame(isPing);
        left.close();
        await waitFor(() => k.server.services.log.hub.subscriberCount() === 1, { message: 'closed stream unsubscribed' });
        const pings = () => idle.frames.filter(isPing).length;
        const before = pings();
        await waitFor(() => pings() >= before + 2, { message: 'the idle stream keeps being pinged' });
        await k.server.services.log.append(TENANT, s.id, [message('after pings')]);
        const [e] = await idle.waitForEvents(1);
        expect(textOf(e!.data)).toBe('after pings');
        expect(idle.frames.every((f) => f.comments.length === 0 || isPing(f))).toBe(true);
      } finally {
        idle.close();
        left.close();
      }
    } finally {
      await k.stop();
    }
  });

  it('OMA_TEST_EMIT=0 makes _test_emit a 404', async () => {
    const off = await startTestServer(backend, { env: { OMA_TEST_EMIT: '0' } });
    try {
      const agent = await off.client.beta.agents.create({ name: 'a', model: 'claude-sonnet-4-6' });
      const env = await off.client.beta.environments.create({ name: 'e' });
      const s = await off.client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
      const r = await fetch(`${off.baseURL}/v1/sessions/${s.id}/_test_emit`, { method: 'POST', headers: { 'x-api-key': off.apiKey, 'content-type': 'application/json' }, body: '{"text":"x"}' });
      expect(r.status).toBe(404);
      expect((await off.client.beta.sessions.events.list(s.id)).data).toEqual([]);
    } finally {
      await off.stop();
    }
  });
});
