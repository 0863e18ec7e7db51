/**
 * The crash-recovery demo with a real server process on both backends: SIGKILL the server,
 * start it again on the same database, and the log (and stream resume) carries on exactly.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { openSse, type SseConnection } from '../support/sse-client.ts';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(BACKENDS)('crash and restart (%s)', (backend) => {
  let db: TestDatabase;
  let server: ChildServer | undefined;
  const open: SseConnection[] = [];
  beforeAll(async () => { db = await createTestDatabase(backend); }, 30_000);
  afterAll(async () => {
    for (const c of open) c.close();
    await server?.kill();
    await db?.drop();
  }, 30_000);

  const emit = (base: string, sessionId: string, text: string) =>
    fetch(`${base}/v1/sessions/${sessionId}/_test_emit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  const stream = async (base: string, sessionId: string, headers: Record<string, string> = {}) => {
    const c = await openSse(`${base}/v1/sessions/${sessionId}/events/stream`, { headers });
    open.push(c);
    expect(c.status).toBe(200);
    return c;
  };
  const createSession = async (base: string) => {
    // Like `curl -d '{}'`: a form content type with a JSON body.
    const r = await fetch(`${base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '{}' });
    const text = await r.text();
    expect(r.status, text).toBe(200);
    return (JSON.parse(text) as { id: string }).id;
  };

  it('the seed demo: ids 1,2,3 → SIGKILL → restart → Last-Event-ID: 3 gets 4, Last-Event-ID: 0 replays 1..4', async () => {
    server = await startChildServer(db);
    const sessionId = await createSession(server.baseURL);
    const live = await stream(server.baseURL, sessionId);
    for (const text of ['one', 'two', 'three']) expect((await emit(server.baseURL, sessionId, text)).status).toBe(200);
    await live.waitForEvents(3);
    expect(live.ids()).toEqual([1, 2, 3]);
    expect(live.events().map((f) => f.event)).toEqual(['agent.message', 'agent.message', 'agent.message']);

    await server.kill();
    await live.ended; // the connection dies with the process
    server = await startChildServer(db);

    const resumed = await stream(server.baseURL, sessionId, { 'last-event-id': '3' });
    expect((await emit(server.baseURL, sessionId, 'four')).status).toBe(200);
    await resumed.waitForEvents(1);
    expect(resumed.ids()).toEqual([4]);

    const replay = await stream(server.baseURL, sessionId, { 'last-event-id': '0' });
    await replay.waitForEvents(4);
    expect(replay.ids()).toEqual([1, 2, 3, 4]);
    expect(replay.events().map((f) => (JSON.parse(f.data!) as { content: { text: string }[] }).content[0]!.text)).toEqual(['one', 'two', 'three', 'four']);
    resumed.close();
    replay.close();
  }, 90_000);

  it('SIGKILL during a burst of concurrent _test_emit: every 200 is in the log, seqs gapless', async () => {
    server ??= await startChildServer(db);
    const sessionId = await createSession(server.baseURL);
    const base = server.baseURL;
    const acknowledged: string[] = [];
    let stop = false;
    const workers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await emit(base, sessionId, `w${w}-${i}`);
          if (r.status !== 200) return;
          acknowledged.push(((await r.json()) as { id: string }).id);
        } catch {
          return; // connection refused/reset: the server is gone
        }
      }
    });
    // Kill once the burst is well under way (a condition, not a fixed sleep).
    const deadline = Date.now() + 30_000;
    while (acknowledged.length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    await server.kill();
    stop = true;
    await Promise.all(workers);

    server = await startChildServer(db);
    const all: { id: string }[] = [];
    // Everything stored, through the list API.
    let page: string | undefined;
    do {
      const r = await fetch(`${server.baseURL}/v1/sessions/${sessionId}/events?limit=1000${page ? `&page=${page}` : ''}`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as { data: { id: string }[]; next_page?: string | null };
      for (const e of body.data) all.push({ id: e.id });
      page = body.next_page ?? undefined;
    } while (page);
    const ids = new Set(all.map((e) => e.id));
    expect(ids.size).toBe(all.length);
    for (const id of acknowledged) expect(ids.has(id), `acknowledged ${id} lost`).toBe(true);
    // Gapless: a resumed stream from 0 replays seq 1..N exactly (and the restarted server continues at N+1).
    const replay = await stream(server.baseURL, sessionId, { 'last-event-id': '0' });
    await replay.waitForEvents(all.length, 30_000);
    expect(replay.ids()).toEqual(range(1, all.length));
    expect((await emit(server.baseURL, sessionId, 'after')).status).toBe(200);
    await replay.waitForEvents(all.length + 1);
    expect(replay.ids().at(-1)).toBe(all.length + 1);
    replay.close();
  }, 120_000);
});
