/**
 * Two server processes on one Postgres database, told about each other's commits by Postgres
 * notifications: a stream open on one instance follows a turn the other runs; an interrupt, an
 * archive or a delete sent to one reaches the turn the other runs at once; after the listening
 * connection is cut, it reconnects and the streams catch up. LEASE_TTL_MS is 60 s here, so the
 * periodic sweep (every 30 s) cannot be what makes any of this happen within the waits below.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { siblingDataDir, startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { openSse, type SseConnection } from '../support/sse-client.ts';
import { waitFor } from '../support/wait-for.ts';
import { isRunning } from '../support/sleeping-turn.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { sql } from 'kysely';
import pg from 'pg';
import { ScriptedAgent } from '../../scripts/crash-test/scripted-agent.ts';
import { encodePlan, type Step } from '../../scripts/crash-test/plan.ts';
import { getJson, listAllEvents, postJson, type WireEvent } from '../../scripts/crash-test/api.ts';

const step = (kind: Step['kind'], sleepMs = 0): Step => ({ kind, sleepMs, failOnce: false });
const message = (tag: string, steps: Step[]) => ({
  type: 'user.message',
  content: [{ type: 'text', text: encodePlan({ sessionTag: tag, messageTag: 'm0', chunkDelayMs: 5, textLength: 40, steps }) }],
});
/** A tool sleep no other run uses, so pgrep finds only this run's process. */
const uniqueSleepMs = () => 40_000 + Math.floor(Math.random() * 1000);
const sleepMarker = (ms: number) => `sleep ${(ms / 1000).toFixed(3)}`;
const isEndTurn = (e: WireEvent) => e.type === 'session.status_idle' && (e.stop_reason as { type?: string } | undefined)?.type === 'end_turn';

describe.skipIf(!BACKENDS.includes('postgres'))('two instances on one Postgres database, through notifications', () => {
  let fake: FakeModel;
  let db: TestDatabase;
  let store: Store;
  let a: ChildServer;
  let b: ChildServer;
  let agentId: string;
  const streams: SseConnection[] = [];
  const env = (instance: string) => ({ ANTHROPIC_BASE_URL: fake.url, MODEL_RETRY_BASE_MS: '10', LEASE_TTL_MS: '60000', INSTANCE_ID: instance });

  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(new ScriptedAgent().respond);
    db = await createTestDatabase('postgres');
    a = await startChildServer(db, { env: env('instance-a') });
    // Its own DATA_DIR (one server per DATA_DIR), the same session working directories (as a shared volume would be).
    b = await startChildServer(db, { env: { ...env('instance-b'), SANDBOX_WORKDIR: join(db.dataDir, 'sandboxes') }, dataDir: siblingDataDir(db, 'instance-b') });
    store = await openStore(db.database);
    agentId = (await postJson<{ id: string }>(a.baseURL, '/v1/agents', { name: 'x', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] })).id;
  }, 90_000);
  afterAll(async () => {
    for (const s of streams) s.close();
    await a?.kill();
    await b?.kill();
    await store?.close();
    await fake?.close();
    await db?.drop();
  });

  const newSession = async () => (await postJson<{ id: string }>(a.baseURL, '/v1/sessions', { agent: agentId })).id;
  const stream = async (server: ChildServer, sessionId: string) => {
    const s = await openSse(`${server.baseURL}/v1/sessions/${sessionId}/events/stream?include_extensions=true`);
    streams.push(s);
    return s;
  };
  /** The session's events from the API once its turn ended (on end_turn). */
  const finished = (sessionId: string) =>
    waitFor(async () => {
      const events = await listAllEvents(a.baseURL, sessionId);
      return events.some(isEndTurn) ? events : undefined;
    }, { timeoutMs: 20_000, message: `session ${sessionId} did not finish its turn` });
  /** Waits until the stream delivered every event after `fromSeq` that the log holds, then checks they are exactly those. */
  const expectStreamed = async (s: SseConnection, events: WireEvent[], fromSeq: number) => {
    const expected = events.slice(fromSeq).map((e) => e.id);
    await waitFor(() => s.events().length >= expected.length || undefined, { timeoutMs: 15_000, message: `stream got ${s.events().length} of ${expected.length} events` });
    expect(s.ids()).toEqual(expected.map((_, i) => fromSeq + i + 1));
    expect(s.events().map((f) => (JSON.parse(f.data!) as WireEvent).id)).toEqual(expected);
  };
  const toolStarted = (sessionId: string) =>
    waitFor(async () => (await listAllEvents(a.baseURL, sessionId)).some((e) => e.type === 'oma.tool_execution_started') || undefined, { timeoutMs: 20_000, message: 'the tool never started' });

  it('reports the notification relay in /health', async () => {
    for (const server of [a, b]) expect((await getJson<{ backends: { hub: string } }>(server.baseURL, '/health')).backends.hub).toBe('postgres-notify');
  });

  it('streams on one instance a turn that the other instance runs, exactly', async () => {
    const sessionId = await newSession();
    const onB = await stream(b, sessionId);
    const before = (await listAllEvents(a.baseURL, sessionId)).length;
    await postJson(a.baseURL, `/v1/sessions/${sessionId}/events`, { events: [message('relay', [step('bash', 50), step('pair', 20), step('read')])] });
    const events = await finished(sessionId);
    const leases = await store.db.selectFrom('session_leases').select('owner').where('session_id', '=', sessionId).execute();
    expect(leases.map((l) => l.owner)).toEqual(['instance-a']); // B never ran it: it only relayed
    await expectStreamed(onB, events, before);
  }, 60_000);

  it('delivers an interrupt sent to one instance to the tool the other is running', async () => {
    const sessionId = await newSession();
    const sleepMs = uniqueSleepMs();
    await postJson(a.baseURL, `/v1/sessions/${sessionId}/events`, { events: [message('intr', [step('bash', sleepMs)])] });
    await toolStarted(sessionId);
    await waitFor(() => isRunning(sleepMarker(sleepMs)) || undefined, { timeoutMs: 10_000, message: 'the tool process never started' });
    await postJson(b.baseURL, `/v1/sessions/${sessionId}/events`, { events: [{ type: 'user.interrupt' }] });
    // The tool sleeps 40 s; without the notification instance A would only see the interrupt after it.
    const events = await waitFor(async () => {
      const list = await listAllEvents(a.baseURL, sessionId);
      return list.at(-1)?.type === 'session.status_idle' ? list : undefined;
    }, { timeoutMs: 20_000, message: 'the interrupt did not end the turn' });
    const result = events.find((e) => e.type === 'agent.tool_result');
    expect(result?.is_error).toBe(true);
    expect(isRunning(sleepMarker(sleepMs))).toBe(false);
  }, 60_000);

  it('stops the turn another instance runs when the session is archived, and ends its streams on delete', async () => {
    const sessionId = await newSession();
    const onA = await stream(a, sessionId);
    const sleepMs = uniqueSleepMs();
    await postJson(a.baseURL, `/v1/sessions/${sessionId}/events`, { events: [message('arch', [step('bash', sleepMs)])] });
    await toolStarted(sessionId);
    await postJson(b.baseURL, `/v1/sessions/${sessionId}/archive`, {});
    await waitFor(async () => (await listAllEvents(a.baseURL, sessionId)).some((e) => e.type === 'agent.tool_result') || undefined, { timeoutMs: 20_000, message: 'the archived session kept its tool running' });
    expect(isRunning(sleepMarker(sleepMs))).toBe(false);

    const res = await fetch(`${b.baseURL}/v1/sessions/${sessionId}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    await onA.waitForFrame((f) => f.event === 'session.deleted', 15_000);
    await onA.ended;
  }, 60_000);

  it('reconnects after losing the listening connection, and its streams catch up', async () => {
    const sessionId = await newSession();
    const onB = await stream(b, sessionId);
    const before = (await listAllEvents(a.baseURL, sessionId)).length;
    const listeners = () =>
      sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE application_name = 'oma instance-b' AND (query LIKE 'LISTEN%' OR query LIKE 'INSERT INTO oma_listeners%')`.execute(store.db).then((r) => r.rows.map((x) => x.pid));
    const [old] = await listeners();
    expect(old).toBeDefined();
    await sql`SELECT pg_terminate_backend(${old})`.execute(store.db);
    // Events of this turn are committed while B is reconnecting (its backoff starts at 250 ms).
    await postJson(a.baseURL, `/v1/sessions/${sessionId}/events`, { events: [message('recon', [step('bash', 10), step('read')])] });
    const events = await finished(sessionId);
    await waitFor(async () => {
      const now = await listeners();
      return now.length === 1 && now[0] !== old ? now : undefined;
    }, { timeoutMs: 15_000, message: 'instance B did not listen again' });
    await expectStreamed(onB, events, before);

    // And it keeps following later turns live.
    await postJson(a.baseURL, `/v1/sessions/${sessionId}/events`, { events: [message('recon2', [step('glob')])] });
    const later = await waitFor(async () => {
      const list = await listAllEvents(a.baseURL, sessionId);
      return list.filter(isEndTurn).length === 2 ? list : undefined;
    }, { timeoutMs: 20_000, message: 'the second turn did not finish' });
    await expectStreamed(onB, later, before);
  }, 60_000);
});

describe.skipIf(!BACKENDS.includes('postgres'))('one instance alone on its Postgres database', () => {
  let db: TestDatabase;
  let store: Store;
  let server: ChildServer | undefined;
  let listener: pg.Client | undefined;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    server = await startChildServer(db, { env: { INSTANCE_ID: 'alone' } });
    store = await openStore(db.database);
  }, 60_000);
  afterAll(async () => {
    await listener?.end();
    await server?.kill();
    await store?.close();
    await db?.drop();
  });

  it('does not notify (Postgres serialises notifying commits) until another instance listens, and unregisters on SIGTERM', async () => {
    const origins = async () => (await sql<{ origin: string }>`SELECT origin FROM oma_listeners ORDER BY origin`.execute(store.db)).rows.map((r) => r.origin);
    expect(await origins()).toEqual(['oma alone']);
    // A plain LISTEN (not registered): it hears what writers send, and a marker of its own tells it
    // that everything committed before the marker has been delivered.
    const url = (db.database as { url: string }).url;
    listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query('LISTEN oma_events');
    const emitAndMark = async (sessionId: string, marker: string) => {
      const res = await fetch(`${server!.baseURL}/v1/sessions/${sessionId}/_test_emit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: marker }) });
      expect(res.status).toBe(200);
      await sql`SELECT pg_notify('oma_events', ${marker})`.execute(store.db);
      await waitFor(() => heard.includes(marker) || undefined, { message: `marker ${marker} never arrived` });
    };
    const sessionId = (await postJson<{ id: string }>(server!.baseURL, '/v1/sessions', {})).id;
    await emitAndMark(sessionId, 'alone');
    expect(heard).toEqual(['alone']);

    await sql`INSERT INTO oma_listeners (origin, seen_at) VALUES ('oma someone-else', (extract(epoch FROM clock_timestamp()) * 1000)::bigint)`.execute(store.db);
    await emitAndMark(sessionId, 'watched');
    expect(heard).toHaveLength(3);
    expect(JSON.parse(heard[1]!)).toMatchObject({ o: 'oma alone', s: sessionId, f: 2, l: 2 });

    server!.child.kill('SIGTERM');
    expect((await server!.exited).code).toBe(0);
    server = undefined;
    expect(await origins()).toEqual(['oma someone-else']);
  }, 60_000);
});
