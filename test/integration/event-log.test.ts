/**
 * The event log under concurrency (issue 3): gapless, unique per-session sequences and unique
 * sevt_ ids with many writers, both through EventLog.append and through concurrent HTTP
 * _test_emit, and an event is committed before the HTTP response that reports it.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import type { StoredEvent } from '../../src/events/types.ts';

const TENANT = 'tenant_test';

async function newSession(t: TestServer): Promise<string> {
  const agent = await t.client.beta.agents.create({ name: 'a', model: 'claude-sonnet-4-6' });
  const env = await t.client.beta.environments.create({ name: `e-${Math.random().toString(36).slice(2)}` });
  return (await t.client.beta.sessions.create({ agent: agent.id, environment_id: env.id })).id;
}

async function allEvents(t: TestServer, sessionId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (;;) {
    const batch = await t.server.services.log.list(TENANT, sessionId, { afterSeq: out.at(-1)?.seq ?? 0, order: 'asc', limit: 1000 });
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

function expectGapless(events: StoredEvent[], n: number) {
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  const ids = new Set(events.map((e) => e.id));
  expect(ids.size).toBe(n);
  for (const id of ids) expect(id).toMatch(/^sevt_/);
}

function emit(t: TestServer, sessionId: string, text: string) {
  return fetch(`${t.baseURL}/v1/sessions/${sessionId}/_test_emit`, { method: 'POST', headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
}

describe.each(BACKENDS)('event log concurrency (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(backend); });
  afterAll(async () => { await t?.stop(); });

  it('8 writers × 50 appends on one session through EventLog.append give seq 1..400 exactly', async () => {
    const sessionId = await newSession(t);
    const log = t.server.services.log;
    const returned: StoredEvent[] = [];
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 50; i++) {
        returned.push(...(await log.append(TENANT, sessionId, [{ type: 'agent.message', payload: { content: [{ type: 'text', text: `w${w}-${i}` }] }, processedAt: Date.now() }])));
      }
    }));
    expect(returned.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const stored = await allEvents(t, sessionId);
    expectGapless(stored, 400);
    // Each writer's own appends come back in the order it made them.
    for (let w = 0; w < 8; w++) {
      const mine = stored.filter((e) => JSON.stringify(e.payload).includes(`"w${w}-`)).map((e) => (e.payload.content as { text: string }[])[0]!.text);
      expect(mine).toEqual(Array.from({ length: 50 }, (_, i) => `w${w}-${i}`));
    }
    const session = await t.client.beta.sessions.retrieve(sessionId);
    expect(session.id).toBe(sessionId);
  }, 60_000);

  it('multi-event batches from concurrent writers stay contiguous', async () => {
    const sessionId = await newSession(t);
    const log = t.server.services.log;
    const batches = await Promise.all(Array.from({ length: 20 }, (_, b) =>
      log.append(TENANT, sessionId, Array.from({ length: 5 }, (_, i) => ({ type: 'agent.message', payload: { content: [{ type: 'text', text: `${b}.${i}` }] }, processedAt: Date.now() }))),
    ));
    for (const batch of batches) {
      const seqs = batch.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 5 }, (_, i) => seqs[0]! + i));
    }
    expectGapless(await allEvents(t, sessionId), 100);
  }, 60_000);

  it('many sessions appended concurrently each get their own 1..N', async () => {
    const sessions = await Promise.all(Array.from({ length: 10 }, () => newSession(t)));
    const log = t.server.services.log;
    await Promise.all(sessions.flatMap((sessionId) => Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 10; i++) await log.append(TENANT, sessionId, [{ type: 'agent.message', payload: { content: [] }, processedAt: Date.now() }]);
    })));
    const ids = new Set<string>();
    for (const sessionId of sessions) {
      const events = await allEvents(t, sessionId);
      expectGapless(events, 40);
      for (const e of events) ids.add(e.id);
    }
    expect(ids.size).toBe(400);
  }, 60_000);

  it('concurrent HTTP _test_emit: 8 clients × 50 give seq 1..400, each committed before its response', async () => {
    const sessionId = await newSession(t);
    const responses: { id: string; text: string }[] = [];
    const notYetVisible: string[] = [];
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 50; i++) {
        const text = `h${w}-${i}`;
        const r = await emit(t, sessionId, text);
        expect(r.status).toBe(200);
        const body = (await r.json()) as { id: string; type: string };
        expect(body.type).toBe('agent.message');
        // Read it straight back from the database: the response must follow the commit.
        const row = await t.server.services.store.events.findById(TENANT, sessionId, body.id);
        if (!row) notYetVisible.push(body.id);
        responses.push({ id: body.id, text });
      }
    }));
    expect(notYetVisible).toEqual([]);
    const stored = await allEvents(t, sessionId);
    expectGapless(stored, 400);
    const byId = new Map(stored.map((e) => [e.id, e]));
    for (const r of responses) expect((byId.get(r.id)!.payload.content as { text: string }[])[0]!.text).toBe(r.text);
  }, 120_000);

  it('_test_emit on an unknown session is 404 and writes nothing', async () => {
    const r = await emit(t, 'sesn_doesnotexist', 'x');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { type: string }).type).toBe('error');
  });

  it('8 instances taking the first lease of a session at once: exactly one gets it, none fails', async () => {
    const store = t.server.services.store;
    const sessionId = `sesn_lease_race_${backend}`;
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.transaction((tx) => tx.leases.acquire(sessionId, `owner-${i}`, now, 60_000))));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(await store.leases.find(sessionId)).toMatchObject({ owner: winners[0]!.owner, token: 1 });
  });
});
