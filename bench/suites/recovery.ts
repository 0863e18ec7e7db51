/**
 * Recovery: 1,000 sessions (full mode) stalled mid-turn (start span committed, model request open) on a server
 * process that is then SIGKILLed; a new server boots in-process on the same database (same
 * instance id, so it takes its own leases back at once) and the clock runs from startServer until
 * every session has finished its turn against the fake model. The baseline is the same number of
 * turns started at once on the warm server afterwards.
 */
import { performance } from 'node:perf_hooks';
import type { RunningServer } from '../../src/server.ts';
import { startChildServer, type ChildServer } from '../../test/support/child-process.ts';
import { stall, startFakeModel, text } from '../../test/support/fake-model/index.ts';
import { createBenchDatabase, openRawDriver } from '../databases.ts';
import type { TestDatabase } from '../../test/support/backends.ts';
import { HttpClient } from '../http-client.ts';
import { DEFAULT_TENANT, nextIdle, startBenchServer } from '../server.ts';
import type { BenchContext, BenchMode, BenchSuite, Measurement } from '../suite.ts';

const SIZES: Record<BenchMode, { sessions: number }> = { full: { sessions: 1000 }, quick: { sessions: 20 }, tiny: { sessions: 3 } };
/** Requests in flight at once from the bench (sessions are created and turns started through this many sockets). */
const SOCKETS = 64;
const BACKENDS = ['sqlite', 'postgres'] as const;
const STALL_TIMEOUT_MS = 60_000;
const message = (text: string) => ({ events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });

/**
 * Resolves once every session is idle after the crash: subscribed first, then the stored row read,
 * so none is missed. Only an idle after the session's last sequence at the crash counts (a status
 * read or a message from before the recovered turn ended would end the clock early).
 */
async function allIdle(server: RunningServer, crashSeq: Map<string, number>): Promise<void> {
  await Promise.all(
    [...crashSeq].map(async ([id, seq]) => {
      const idle = nextIdle(server, id, seq);
      const row = await server.services.store.sessions.find(DEFAULT_TENANT, id);
      if (row?.status !== 'idle' || Number(row.last_seq) <= seq) await idle;
    }),
  );
}

/** Each session's last sequence number, read from the database of the killed server. */
async function lastSeqs(db: TestDatabase, ids: string[]): Promise<Map<string, number>> {
  const raw = openRawDriver(db);
  try {
    const rows = await raw.query<{ id: string; last_seq: number | string }>('SELECT id, last_seq FROM sessions');
    const bySession = new Map(rows.map((r) => [r.id, Number(r.last_seq)]));
    return new Map(ids.map((id) => [id, bySession.get(id) ?? 0]));
  } finally {
    await raw.close();
  }
}

/** Runs `step`, naming it in the error if it fails (a bare ECONNRESET says nothing of where). */
async function phase<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
  }
}

/** `count` calls of `task`, at most SOCKETS at once, results in order. */
async function pooled<T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(SOCKETS, count) }, async () => {
    for (let i = next++; i < count; i = next++) out[i] = await task(i);
  }));
  return out;
}

/**
 * A POST of the untimed setup, retried on a 5xx: with 1,000 turns starting at once on Postgres, a
 * request can wait past the pool's 5 s connection timeout on a loaded machine (500); the setup only
 * has to get every turn started. The timed phases are not retried.
 */
async function setupPost<T>(client: HttpClient, path: string, body: unknown): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const res = await client.request<T>('POST', path, body);
    if (res.status === 200) return res.body;
    if (res.status < 500 || attempt === 3) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

/** Starts turns on a child server, waits until every model request is stalled, then kills it -9. */
async function crashMidTurn(child: ChildServer, sessions: number, fake: Awaited<ReturnType<typeof startFakeModel>>): Promise<string[]> {
  const client = new HttpClient(child.baseURL, { maxSockets: SOCKETS });
  try {
    const agent = await client.post<{ id: string }>('/v1/agents', { name: 'bench-recovery', model: 'claude-sonnet-4-6' });
    const ids = await phase('creating sessions', () => pooled(sessions, async () => (await setupPost<{ id: string }>(client, '/v1/sessions', { agent: agent.id })).id));
    fake.script(ids.map(() => stall()));
    await phase('starting the turns', () => pooled(sessions, (i) => setupPost(client, `/v1/sessions/${ids[i]}/events`, message('start a long answer'))));
    await phase('waiting for the stalled model requests', async () => {
      for (let i = 0; i < sessions; i++) await fake.waitForStall(STALL_TIMEOUT_MS);
    });
    return ids;
  } finally {
    client.close();
    await child.kill();
  }
}

async function measureBackend(context: BenchContext, backend: (typeof BACKENDS)[number]): Promise<Measurement> {
  const { sessions } = SIZES[context.mode];
  const fake = await startFakeModel();
  const db = await createBenchDatabase(backend);
  let server: RunningServer | undefined;
  let client: HttpClient | undefined;
  try {
    const child = await startChildServer(db, { env: { ANTHROPIC_BASE_URL: fake.url, LOG_LEVEL: 'error' } });
    const ids = await crashMidTurn(child, sessions, fake);
    // Every request of the timed phases is answered at once (a responder, not a script of exactly one
    // reply per session): a step whose commit failed under load asks the model again, which is the
    // server's at-least-once contract, not a bench error. What is checked is that each session asked.
    fake.script([]);
    fake.respondWith(() => text('answered after the crash'));
    const crashSeq = await lastSeqs(db, ids);
    let asked = fake.requests.length;
    const started = performance.now();
    server = await phase('recovering', async () => {
      const recovering = await startBenchServer(db, { ANTHROPIC_BASE_URL: fake.url });
      await allIdle(recovering, crashSeq);
      return recovering;
    });
    const recoveryMs = performance.now() - started;
    const recoveryRequests = fake.requests.length - asked;
    if (recoveryRequests < sessions) throw new Error(`recovering: ${recoveryRequests} model requests for ${sessions} interrupted turns`);
    client = new HttpClient(server.url, { maxSockets: SOCKETS });
    asked = fake.requests.length;
    const baselineStarted = performance.now();
    const idle = ids.map((id) => nextIdle(server!, id));
    await phase('fresh turns', async () => {
      await pooled(sessions, (i) => client!.post(`/v1/sessions/${ids[i]}/events`, message('one more')));
      await Promise.all(idle);
    });
    const baselineMs = performance.now() - baselineStarted;
    const freshRequests = fake.requests.length - asked;
    if (freshRequests < sessions) throw new Error(`fresh turns: ${freshRequests} model requests for ${sessions} turns`);
    fake.assertDone();
    context.log(`recovery.${backend}: ${sessions} sessions in ${recoveryMs.toFixed(0)} ms, ${recoveryRequests} model requests (fresh turns: ${baselineMs.toFixed(0)} ms, ${freshRequests})`);
    return { name: `recovery.${backend}`, value: recoveryMs, baseline: baselineMs, note: `${sessions} sessions killed -9 mid model request (${recoveryRequests} model requests; fresh: ${freshRequests}); boot included, process start excluded` };
  } finally {
    client?.close();
    await server?.close();
    await fake.close();
    await db.drop();
  }
}

export const recoverySuite: BenchSuite = {
  name: 'recovery',
  figures: BACKENDS.map((b) => ({
    name: `recovery.${b}`,
    unit: 'ms' as const,
    description: `startServer → 1,000 sessions interrupted mid-turn all idle again (${b}), vs 1,000 fresh turns at once`,
    target: { on: 'ratio' as const, op: '<=' as const, limit: 2 },
  })),
  async run(context) {
    const out: Measurement[] = [];
    for (const backend of BACKENDS) out.push(await measureBackend(context, backend));
    return out;
  },
};
