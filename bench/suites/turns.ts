/**
 * Turn overhead: full turns (POST user.message → … → session.status_idle) against the scripted fake
 * model answering at once. Every timed turn is paired with a reference call right after it: the
 * request that turn sent (its messages stripped of the cache marks, so the client marks them again),
 * sent through the server's own model client to the same fake. Server time per turn is the median
 * over pairs of turn − reference, in wall time and in this process's CPU time (server, fake model and
 * client all run here, so the fake's and the client's share cancels in the difference). Pairs on fresh
 * sessions and pairs on a session holding 2,000 events are measured alike and alternate, so load
 * drift on a shared machine reaches both. Each sample starts after a minor GC.
 */
import { performance } from 'node:perf_hooks';
import { AnthropicModelClient } from '../../src/harness/model/anthropic-client.ts';
import { collectResponse } from '../../src/harness/model/collect-response.ts';
import type { ModelRequest } from '../../src/harness/model/model-client.ts';
import type { ModelMessage } from '../../src/harness/model/model-content.ts';
import type { RunningServer } from '../../src/server.ts';
import { reply, startFakeModel, text, type FakeModel } from '../../test/support/fake-model/index.ts';
import { createBenchDatabase, openRawDriver } from '../databases.ts';
import { growSessionLog } from '../long-session.ts';
import { HttpClient } from '../http-client.ts';
import { nextIdle, startBenchServer } from '../server.ts';
import { mean, percentile, sample, settle, type Sample } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, Measurement } from '../suite.ts';

// Warm-up matters: the SDK's streaming path runs several times slower for its first ~25 calls.
// Each fresh session runs `turnsPerSession` paired turns, then the long session (`longEvents` events
// at the start) runs `longTurnsPerSession` paired turns.
const SIZES: Record<BenchMode, { sessions: number; turnsPerSession: number; parallel: number; warmup: number; longEvents: number; longTurnsPerSession: number }> = {
  full: { sessions: 20, turnsPerSession: 10, parallel: 8, warmup: 30, longEvents: 2000, longTurnsPerSession: 3 },
  quick: { sessions: 4, turnsPerSession: 5, parallel: 8, warmup: 30, longEvents: 1000, longTurnsPerSession: 2 },
  tiny: { sessions: 2, turnsPerSession: 2, parallel: 2, warmup: 2, longEvents: 40, longTurnsPerSession: 1 },
};
const MODEL = 'claude-sonnet-4-6';
const ANSWER = 'Done: the answer is 42.';

interface Driver {
  server: RunningServer;
  client: HttpClient;
  fake: FakeModel;
  model: AnthropicModelClient;
}

/** One turn: from the POST of a user.message until its session.status_idle is committed. */
async function runTurn({ server, client }: Driver, sessionId: string, question: string): Promise<void> {
  const idle = nextIdle(server, sessionId);
  await client.post(`/v1/sessions/${sessionId}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: question }] }] });
  await idle;
}

async function callModel(model: AnthropicModelClient, request: ModelRequest): Promise<void> {
  await collectResponse(model.stream(request, new AbortController().signal));
}

/** The model request a turn sent, as the harness built it before the client marked it for caching. */
function referenceRequest(fake: FakeModel): ModelRequest {
  const body = fake.requests.at(-1)!.body;
  if (body.system !== undefined || body.tools !== undefined) throw new Error('turns: the reference call sends neither system nor tools; the bench agent must have none');
  const messages = (body.messages as ModelMessage[]).map((m) => ({ ...m, content: m.content.map((block) => {
    const { cache_control: _mark, ...rest } = block as typeof block & { cache_control?: unknown };
    return rest as typeof block;
  }) }) as ModelMessage);
  return { model: body.model, maxTokens: body.max_tokens, messages, promptCache: true };
}

interface Pair {
  turn: Sample;
  call: Sample;
  messages: number;
}

/** A turn, then the same model request alone; each after a settle. */
async function runPair(driver: Driver, sessionId: string, question: string): Promise<Pair> {
  await settle();
  const turn = await sample(() => runTurn(driver, sessionId, question));
  const request = referenceRequest(driver.fake);
  driver.fake.forgetRequests();
  await settle();
  const call = await sample(() => callModel(driver.model, request));
  driver.fake.forgetRequests();
  return { turn, call, messages: request.messages.length };
}

/** `lanes` sequences at once; returns {perSecond, durations}. */
async function inLanes(lanes: number, lane: (index: number) => Promise<number[]>): Promise<{ perSecond: number; durations: number[] }> {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  const durations = results.flat();
  return { perSecond: (durations.length * 1000) / (performance.now() - started), durations };
}

/** Durations of `turns` turns on the session, one after another. */
async function timeTurns(driver: Driver, sessionId: string, turns: number): Promise<number[]> {
  const durations: number[] = [];
  for (let t = 0; t < turns; t++) {
    const started = performance.now();
    await runTurn(driver, sessionId, `question ${t}`);
    durations.push(performance.now() - started);
  }
  return durations;
}

/** Durations of `calls` one-question model calls, one after another. */
async function timeCalls(model: AnthropicModelClient, calls: number): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await callModel(model, { model: MODEL, maxTokens: 1024, messages: [{ role: 'user', content: [{ type: 'text', text: `question ${i}` }] }], promptCache: true });
    durations.push(performance.now() - started);
  }
  return durations;
}

interface Phases {
  fresh: Pair[];
  long: Pair[];
  /** The long session's first turn after its log was grown (it reads and folds the copied events). */
  catchUp: Sample;
  parallel: { perSecond: number; durations: number[] };
  modelParallel: { perSecond: number; durations: number[] };
}

async function runPhases(driver: Driver, raw: () => ReturnType<typeof openRawDriver>, size: (typeof SIZES)[BenchMode]): Promise<Phases> {
  const { client } = driver;
  const agent = await client.post<{ id: string }>('/v1/agents', { name: 'bench', model: MODEL });
  const newSession = async () => (await client.post<{ id: string }>('/v1/sessions', { agent: agent.id })).id;
  const long = await newSession();
  for (let i = 0; i < size.warmup; i++) await runPair(driver, long, `warm-up ${i}`);
  const db = raw();
  try {
    await growSessionLog(db, long, size.longEvents);
  } finally {
    await db.close();
  }
  // Not a pair: this turn folds the copied events, as a takeover reads the log, which is not a turn's work.
  const catchUp = await sample(() => runTurn(driver, long, 'catch up'));
  driver.fake.forgetRequests();
  const pairs: Phases = { fresh: [], long: [], catchUp, parallel: { perSecond: 0, durations: [] }, modelParallel: { perSecond: 0, durations: [] } };
  for (let s = 0; s < size.sessions; s++) {
    const id = await newSession();
    for (let t = 0; t < size.turnsPerSession; t++) pairs.fresh.push(await runPair(driver, id, `question ${t}`));
    for (let t = 0; t < size.longTurnsPerSession; t++) pairs.long.push(await runPair(driver, long, `question ${s}.${t}`));
  }
  const parallelSessions = await Promise.all(Array.from({ length: size.parallel }, () => newSession()));
  pairs.parallel = await inLanes(size.parallel, (i) => timeTurns(driver, parallelSessions[i]!, size.turnsPerSession));
  pairs.modelParallel = await inLanes(size.parallel, () => timeCalls(driver.model, size.turnsPerSession));
  driver.fake.forgetRequests();
  return pairs;
}

/** Median of turn − reference over the pairs, and its interquartile range. */
function serverTime(pairs: Pair[], key: keyof Sample): { median: number; p25: number; p75: number } {
  const differences = pairs.map((p) => p.turn[key] - p.call[key]);
  return { median: percentile(differences, 50), p25: percentile(differences, 25), p75: percentile(differences, 75) };
}

const describe = (s: { median: number; p25: number; p75: number }) => `median ${s.median.toFixed(2)} ms (IQR ${s.p25.toFixed(2)}–${s.p75.toFixed(2)})`;

async function measure(context: BenchContext): Promise<Measurement[]> {
  const size = SIZES[context.mode];
  const fake = await startFakeModel();
  fake.respondWith(() => reply(text(ANSWER)));
  const db = await createBenchDatabase('sqlite', 'NORMAL');
  const server = await startBenchServer(db, { ANTHROPIC_BASE_URL: fake.url });
  const client = new HttpClient(server.url);
  const driver: Driver = { server, client, fake, model: new AnthropicModelClient({ apiKey: 'sk-bench-key', baseURL: fake.url }) };
  try {
    const { fresh, long, catchUp, parallel, modelParallel } = await runPhases(driver, () => openRawDriver(db), size);
    fake.assertDone();
    const wall = serverTime(fresh, 'wallMs');
    const cpu = serverTime(fresh, 'cpuMs');
    const longWall = serverTime(long, 'wallMs');
    const longCpu = serverTime(long, 'cpuMs');
    const turnMs = mean(fresh.map((p) => p.turn.wallMs));
    const callMs = mean(fresh.map((p) => p.call.wallMs));
    const longMessages = `${long[0]!.messages}–${long.at(-1)!.messages} messages`;
    context.log(`turns: fresh ${describe(wall)} wall, ${describe(cpu)} cpu; long session (${longMessages}) ${describe(longWall)} wall, ${describe(longCpu)} cpu, its first turn (catching up on the copied events, not counted) ${catchUp.wallMs.toFixed(1)} ms wall, ${catchUp.cpuMs.toFixed(1)} ms cpu; ${parallel.perSecond.toFixed(1)}/s with ${size.parallel} sessions`);
    const freshNote = `${fresh.length} turns on ${size.sessions} fresh sessions, each paired with its model request alone`;
    const longNote = `${long.length} turns on a session holding ${size.longEvents}+ events (${longMessages}), alternating with the fresh ones`;
    return [
      { name: 'turn.sequential', value: 1000 / turnMs, baseline: 1000 / callMs, note: `${freshNote}: 1000 / mean turn ${turnMs.toFixed(2)} ms vs / mean model call ${callMs.toFixed(2)} ms` },
      { name: 'turn.parallel', value: parallel.perSecond, baseline: modelParallel.perSecond, note: `${size.parallel} sessions × ${size.turnsPerSession} turns at once` },
      { name: 'turn.server_ms', value: wall.median, note: `${freshNote}: turn − model call, ${describe(wall)}` },
      { name: 'turn.server_ms.long_session', value: longWall.median, baseline: wall.median, note: `${longNote}: turn − model call, ${describe(longWall)}` },
      { name: 'turn.server_cpu_ms', value: cpu.median, note: `${freshNote}: process CPU of turn − model call, ${describe(cpu)}` },
      { name: 'turn.server_cpu_ms.long_session', value: longCpu.median, baseline: cpu.median, note: `${longNote}: process CPU of turn − model call, ${describe(longCpu)}` },
    ];
  } finally {
    client.close();
    await server.close();
    await fake.close();
    await db.drop();
  }
}

export const turnsSuite: BenchSuite = {
  name: 'turns',
  figures: [
    { name: 'turn.sequential', unit: 'turns/s', description: 'full turns, one session at a time (1000 / mean turn ms), vs the same model requests sent alone' },
    { name: 'turn.parallel', unit: 'turns/s', description: 'full turns on 8 sessions at once vs 8 parallel bare model calls' },
    { name: 'turn.server_ms', unit: 'ms', description: 'server time per turn on fresh sessions: median over turns of turn time minus its model request sent alone' },
    { name: 'turn.server_ms.long_session', unit: 'ms', description: 'the same on a session that already holds 2,000 events, vs turn.server_ms', target: { on: 'ratio', op: '<=', limit: 1.2 } },
    { name: 'turn.server_cpu_ms', unit: 'ms', description: 'as turn.server_ms in process CPU time (less sensitive to other load on the machine)' },
    { name: 'turn.server_cpu_ms.long_session', unit: 'ms', description: 'as turn.server_ms.long_session in process CPU time, vs turn.server_cpu_ms', target: { on: 'ratio', op: '<=', limit: 1.2 } },
  ],
  run: measure,
};
