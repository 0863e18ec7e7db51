/**
 * Turn overhead: full turns (POST user.message → … → session.status_idle) against the scripted fake
 * model answering at once, one session at a time and 8 sessions at once. The baseline is the model
 * call alone, through the server's own model client against the same fake, so
 * "server ms per turn" = turn time − model call time is what the server itself spends.
 */
import { performance } from 'node:perf_hooks';
import { AnthropicModelClient } from '../../src/harness/model/anthropic-client.ts';
import { collectResponse } from '../../src/harness/model/collect-response.ts';
import type { ModelRequest } from '../../src/harness/model/model-client.ts';
import type { ModelMessage } from '../../src/harness/model/model-content.ts';
import type { RunningServer } from '../../src/server.ts';
import { reply, startFakeModel, text, type FakeModel } from '../../test/support/fake-model/index.ts';
import type { TestDatabase } from '../../test/support/backends.ts';
import { createBenchDatabase, openRawDriver } from '../databases.ts';
import { growSessionLog } from '../long-session.ts';
import { HttpClient } from '../http-client.ts';
import { nextIdle, startBenchServer } from '../server.ts';
import { mean } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, Measurement } from '../suite.ts';

// Warm-up matters: the SDK's streaming path runs several times slower for its first ~25 calls.
// `longEvents`: the log size of the long session (its turns are timed `longTurns` times).
const SIZES: Record<BenchMode, { sessions: number; turnsPerSession: number; parallel: number; warmup: number; longEvents: number; longTurns: number }> = {
  full: { sessions: 20, turnsPerSession: 10, parallel: 8, warmup: 30, longEvents: 2000, longTurns: 30 },
  quick: { sessions: 4, turnsPerSession: 5, parallel: 8, warmup: 30, longEvents: 1000, longTurns: 5 },
  tiny: { sessions: 2, turnsPerSession: 2, parallel: 2, warmup: 2, longEvents: 40, longTurns: 2 },
};
const MODEL = 'claude-sonnet-4-6';
const ANSWER = 'Done: the answer is 42.';

interface Driver {
  server: RunningServer;
  client: HttpClient;
}

/** `turns` rounds of one turn on each session in turn; returns each turn's duration. */
async function runTurns({ server, client }: Driver, sessionIds: string[], turns: number): Promise<number[]> {
  const durations: number[] = [];
  for (let t = 0; t < turns; t++) {
    for (const id of sessionIds) {
      const started = performance.now();
      const idle = nextIdle(server, id);
      await client.post(`/v1/sessions/${id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: `question ${t}` }] }] });
      await idle;
      durations.push(performance.now() - started);
    }
  }
  return durations;
}

/**
 * `calls` model calls through the server's own model client, one at a time. Without `history` each
 * sends one short question (a fresh session's request); with it, that conversation (a long session's).
 */
async function runModelCalls(fake: FakeModel, calls: number, history?: ModelMessage[]): Promise<number[]> {
  const model = new AnthropicModelClient({ apiKey: 'sk-bench-key', baseURL: fake.url });
  const durations: number[] = [];
  for (let i = 0; i < calls; i++) {
    fake.push(reply(text(ANSWER)));
    const started = performance.now();
    const messages: ModelMessage[] = history ?? [{ role: 'user', content: [{ type: 'text', text: `question ${i}` }] }];
    const request: ModelRequest = { model: MODEL, maxTokens: 1024, messages, promptCache: true };
    await collectResponse(model.stream(request, new AbortController().signal));
    durations.push(performance.now() - started);
  }
  return durations;
}

/** `lanes` sequences at once; returns {perSecond, durations}. */
async function inLanes(lanes: number, lane: (index: number) => Promise<number[]>): Promise<{ perSecond: number; durations: number[] }> {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  const durations = results.flat();
  return { perSecond: (durations.length * 1000) / (performance.now() - started), durations };
}

interface Phases {
  sequential: { perSecond: number; durations: number[] };
  parallel: { perSecond: number; durations: number[] };
  /** Turn durations on a session whose log already holds `longEvents` events. */
  long: number[];
  /** The conversation the last long turn sent to the model (its request's messages). */
  longHistory: ModelMessage[];
}

/** Every timed phase against the server; the fake gets exactly one reply per turn. */
async function runPhases(server: RunningServer, db: TestDatabase, options: { fake: FakeModel; size: (typeof SIZES)[BenchMode] }): Promise<Phases> {
  const { fake, size } = options;
  const client = new HttpClient(server.url);
  const driver: Driver = { server, client };
  try {
    const agent = await client.post<{ id: string }>('/v1/agents', { name: 'bench', model: MODEL });
    const newSession = async () => (await client.post<{ id: string }>('/v1/sessions', { agent: agent.id })).id;
    const turnsTotal = size.warmup + size.sessions * size.turnsPerSession + size.parallel * size.turnsPerSession + size.longTurns;
    for (let i = 0; i < turnsTotal; i++) fake.push(reply(text(ANSWER)));
    const warm = await newSession();
    await runTurns(driver, [warm], size.warmup);
    const sequential = await inLanes(1, async () => {
      const all: number[] = [];
      for (let s = 0; s < size.sessions; s++) all.push(...(await runTurns(driver, [await newSession()], size.turnsPerSession)));
      return all;
    });
    const parallelSessions = await Promise.all(Array.from({ length: size.parallel }, () => newSession()));
    const parallel = await inLanes(size.parallel, (i) => runTurns(driver, [parallelSessions[i]!], size.turnsPerSession));
    const raw = openRawDriver(db);
    try {
      await growSessionLog(raw, warm, size.longEvents);
    } finally {
      await raw.close();
    }
    const long = await runTurns(driver, [warm], size.longTurns);
    fake.assertDone();
    // The wire messages are the port's blocks as sent (a structural superset: cache_control marks).
    const longHistory = fake.requests.at(-1)!.body.messages as ModelMessage[];
    return { sequential, parallel, long, longHistory };
  } finally {
    client.close();
  }
}

async function measure(context: BenchContext): Promise<Measurement[]> {
  const size = SIZES[context.mode];
  const fake = await startFakeModel();
  const db = await createBenchDatabase('sqlite', 'NORMAL');
  const server = await startBenchServer(db, { ANTHROPIC_BASE_URL: fake.url });
  try {
    const { sequential, parallel, long, longHistory } = await runPhases(server, db, { fake, size });
    await runModelCalls(fake, size.warmup);
    const modelSequential = await inLanes(1, () => runModelCalls(fake, sequential.durations.length));
    const modelParallel = await inLanes(size.parallel, () => runModelCalls(fake, size.turnsPerSession));
    // A long session's model call sends (and the fake parses) its whole history: that is model-call
    // time, not server time, so the long turns are compared with calls sending the same messages.
    const modelLong = await runModelCalls(fake, size.longTurns, longHistory);
    fake.assertDone();
    const turnMs = mean(sequential.durations);
    const modelMs = mean(modelSequential.durations);
    const serverMs = turnMs - modelMs;
    const longModelMs = mean(modelLong);
    context.log(`turns: ${sequential.perSecond.toFixed(1)}/s sequential, ${parallel.perSecond.toFixed(1)}/s with ${size.parallel} sessions; ${turnMs.toFixed(2)} ms/turn, model ${modelMs.toFixed(2)} ms; long session ${mean(long).toFixed(1)} ms/turn, model ${longModelMs.toFixed(2)} ms (${longHistory.length} messages)`);
    return [
      { name: 'turn.sequential', value: sequential.perSecond, baseline: modelSequential.perSecond, note: `${sequential.durations.length} turns, ${size.turnsPerSession} per session, one at a time` },
      { name: 'turn.parallel', value: parallel.perSecond, baseline: modelParallel.perSecond, note: `${size.parallel} sessions × ${size.turnsPerSession} turns at once` },
      { name: 'turn.server_ms', value: serverMs, note: `turn ${turnMs.toFixed(2)} ms − model call ${modelMs.toFixed(2)} ms (sequential)` },
      {
        name: 'turn.server_ms.long_session', value: mean(long) - longModelMs, baseline: serverMs,
        note: `${size.longTurns} turns on a session holding ${size.longEvents} events: turn ${mean(long).toFixed(2)} ms − model call with its ${longHistory.length} messages ${longModelMs.toFixed(2)} ms`,
      },
    ];
  } finally {
    await server.close();
    await fake.close();
    await db.drop();
  }
}

export const turnsSuite: BenchSuite = {
  name: 'turns',
  figures: [
    { name: 'turn.sequential', unit: 'turns/s', description: 'full turns, one session at a time, vs the bare model call rate against the same fake' },
    { name: 'turn.parallel', unit: 'turns/s', description: 'full turns on 8 sessions at once vs 8 parallel bare model calls' },
    { name: 'turn.server_ms', unit: 'ms', description: 'server time per turn: mean turn time minus mean model call time' },
    { name: 'turn.server_ms.long_session', unit: 'ms', description: 'server time per turn on a session that already holds 2,000 events (turn − a model call sending the same history), vs turn.server_ms', target: { on: 'ratio', op: '<=', limit: 1.2 } },
  ],
  run: measure,
};
