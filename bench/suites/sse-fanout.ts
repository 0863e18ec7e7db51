/**
 * SSE fan-out: N open streams on one session, and N sessions with one stream each, while events
 * are appended at a steady rate. Delivery latency runs from the commit (stamped by a hub listener
 * that runs before the streams' own) to the moment the bytes reach the client process, on a clock
 * both processes share. Ours and the baseline (a bare node:http fan-out of the same frames,
 * baselines/) are up side by side with their streams open, each host in its own process, and
 * append on one schedule with their events alternating (ours, bare, ours, … half an interval
 * apart; who goes first swaps each round), so a stall of this shared machine lands on both sides'
 * deliveries alike; one unrecorded warm-up round first. The percentiles are of each side's pooled
 * deliveries over all rounds. Memory per idle stream is each host process's growth (after GC)
 * from opening its streams.
 */
import { createBenchDatabase } from '../databases.ts';
import { startWorker, type WorkerHandle } from '../child.ts';
import { percentile, sharedClockMs, sleep } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, FigureSpec, Measurement } from '../suite.ts';
import type { MemorySnapshot, RoundStats, SseHostRequest, SseHostResult } from '../workers/sse-host.ts';
import type { SseClientsRequest, SseClientsResult } from '../workers/sse-clients.ts';
import type { TestDatabase } from '../../test/support/backends.ts';

/** Each scenario's pace: events per second per side, seconds per round, recorded rounds. */
const SIZES: Record<BenchMode, { streams: number; warmupSeconds: number; one: Pace; many: Pace }> = {
  full: { streams: 1000, warmupSeconds: 1, one: { rate: 10, seconds: 1, rounds: 8 }, many: { rate: 200, seconds: 2, rounds: 30 } },
  quick: { streams: 100, warmupSeconds: 0.25, one: { rate: 20, seconds: 0.5, rounds: 4 }, many: { rate: 100, seconds: 0.5, rounds: 8 } },
  tiny: { streams: 10, warmupSeconds: 0.1, one: { rate: 20, seconds: 0.25, rounds: 2 }, many: { rate: 40, seconds: 0.25, rounds: 2 } },
};
interface Pace {
  rate: number;
  seconds: number;
  rounds: number;
}
const SCENARIOS = ['one_session', 'many_sessions'] as const;
type Scenario = (typeof SCENARIOS)[number];
const VARIANTS = ['ours', 'bare'] as const;
type Variant = (typeof VARIANTS)[number];
const DELIVERY_TIMEOUT_MS = 30_000;
const MEMORY_STEPS = 4;
/** Lead time for both hosts to receive a round's request before its first event is due. */
const START_DELAY_MS = 50;

function figures(): FigureSpec[] {
  return SCENARIOS.flatMap((s): FigureSpec[] => [
    { name: `sse.${s}.p50`, unit: 'ms', description: 'commit → client delivery latency vs a bare node:http fan-out' },
    { name: `sse.${s}.p99`, unit: 'ms', description: 'p99 commit → client delivery latency vs the bare fan-out', target: { on: 'ratio', op: '<=', limit: 1.2 } },
    { name: `sse.${s}.memory_per_stream`, unit: 'KB', description: 'server RSS growth per idle open stream (slope over 4 steps, after GC)', target: { on: 'value', op: '<=', limit: 20 } },
    { name: `sse.${s}.heap_per_stream`, unit: 'KB', description: 'server JS heap + external growth per idle open stream (slope, after GC)' },
  ]);
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

async function call<Res>(worker: WorkerHandle<unknown, unknown>, request: unknown): Promise<Res> {
  return (await worker.call(request)) as Res;
}

async function waitForFrames(clients: WorkerHandle<SseClientsRequest, SseClientsResult>, expected: number): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const { frames } = (await clients.call({ kind: 'count' })) as { frames: number };
    if (frames >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${frames} of ${expected} frames reached the clients within ${DELIVERY_TIMEOUT_MS} ms`);
    await sleep(5);
  }
}

type HostHandle = WorkerHandle<SseHostRequest, SseHostResult>;
type ClientsHandle = WorkerHandle<SseClientsRequest, SseClientsResult>;

/** One side of a scenario: its host process, its streams' indices in the clients worker, what it measured. */
interface Side {
  variant: Variant;
  host: HostHandle;
  /** Index (in the clients worker) of this side's first stream; its streams are contiguous. */
  firstStream: number;
  latencies: number[];
  /** p99 of each recorded round, for the spread. */
  roundP99s: number[];
  stats: RoundStats[];
  /** Bytes per open stream. */
  rssPerStream: number;
  heapPerStream: number;
}

/** What every step of one scenario's run needs. */
interface ScenarioRun {
  db: TestDatabase;
  scenario: Scenario;
  streams: number;
  pace: Pace;
  clients: ClientsHandle;
}

/** Starts the side's server and opens its streams in steps, with a memory snapshot after each. */
async function openSide(run: ScenarioRun, variant: Variant, host: HostHandle): Promise<Side> {
  const { db, scenario, streams, clients } = run;
  if (db.database.kind !== 'sqlite') throw new Error('the SSE benchmark runs on SQLite');
  const sessions = scenario === 'one_session' ? 1 : streams;
  const { baseURL, paths } = await call<{ baseURL: string; paths: string[] }>(host, { kind: 'start', variant, database: db.database, dataDir: db.dataDir, sessions });
  const streamPaths = scenario === 'one_session' ? Array.from({ length: streams }, () => paths[0]!) : paths;
  // The fitted slope ignores a constant shift (memory freed after boot, allocator reuse) that a
  // single before/after difference would take in.
  const points: { streams: number; memory: MemorySnapshot }[] = [{ streams: 0, memory: (await call<{ memory: MemorySnapshot }>(host, { kind: 'memory' })).memory }];
  let firstStream = -1;
  for (let step = 1; step <= MEMORY_STEPS; step++) {
    const from = points.at(-1)!.streams;
    const to = Math.round((streamPaths.length * step) / MEMORY_STEPS);
    const { streams: open } = (await clients.call({ kind: 'open', baseURL, paths: streamPaths.slice(from, to) })) as { streams: number };
    if (firstStream < 0) firstStream = open - (to - from);
    points.push({ streams: to, memory: (await call<{ memory: MemorySnapshot }>(host, { kind: 'memory' })).memory });
  }
  return {
    variant, host, firstStream, latencies: [], roundP99s: [], stats: [],
    rssPerStream: slope(points.map((p) => [p.streams, p.memory.rss])),
    heapPerStream: slope(points.map((p) => [p.streams, p.memory.heap])),
  };
}

/** Latencies of one side's deliveries in `records`: each matched to its commit by session and seq. */
function sideLatencies(run: ScenarioRun, side: Side, commits: Float64Array, records: Float64Array): number[] {
  const committedAt = new Map<string, number>();
  for (let i = 0; i < commits.length; i += 3) committedAt.set(`${commits[i]}:${commits[i + 1]}`, commits[i + 2]!);
  const latencies: number[] = [];
  let frames = 0;
  for (let i = 0; i < records.length; i += 3) {
    const stream = records[i]! - side.firstStream;
    if (stream < 0 || stream >= run.streams) continue; // the other side's
    frames++;
    const t = committedAt.get(`${run.scenario === 'one_session' ? 0 : stream}:${records[i + 1]}`);
    if (t !== undefined) latencies.push(records[i + 2]! - t);
  }
  if (latencies.length !== frames) throw new Error(`${side.variant}: ${frames - latencies.length} of ${frames} frames match no commit of the round`);
  return latencies;
}

/**
 * One round: both sides append at the scenario's pace on one schedule of the shared clock, their
 * events alternating (the side that goes first swaps each round), so a stall of this shared
 * machine delays both sides' deliveries alike. Waits for every frame of both.
 */
async function runRound(run: ScenarioRun, sides: Side[], seconds: number, round: number): Promise<{ latencies: number[]; stats: RoundStats }[]> {
  const { scenario, pace, streams, clients } = run;
  const count = Math.max(1, Math.round(pace.rate * seconds));
  const interval = 1000 / pace.rate;
  const startAtMs = sharedClockMs() + START_DELAY_MS;
  const appended = await Promise.all(sides.map((side, k) =>
    call<{ commits: Float64Array; stats: RoundStats }>(side.host, { kind: 'append', ratePerSecond: pace.rate, count, startAtMs: startAtMs + (((k + round) % 2) * interval) / 2 }),
  ));
  await waitForFrames(clients, sides.length * (scenario === 'one_session' ? count * streams : count));
  const { records } = (await clients.call({ kind: 'collect' })) as { records: Float64Array };
  return sides.map((side, k) => ({ latencies: sideLatencies(run, side, appended[k]!.commits, records), stats: appended[k]!.stats }));
}

/** Both sides of a scenario up at once; a warm-up round, then the recorded rounds. */
async function runScenario(run: ScenarioRun, mode: BenchMode, hosts: [HostHandle, HostHandle]): Promise<Side[]> {
  const size = SIZES[mode];
  const sides: Side[] = [];
  try {
    for (const [k, variant] of VARIANTS.entries()) sides.push(await openSide(run, variant, hosts[k]!));
    await runRound(run, sides, size.warmupSeconds, 0);
    for (let round = 0; round < run.pace.rounds; round++) {
      const results = await runRound(run, sides, run.pace.seconds, round);
      for (const [k, side] of sides.entries()) {
        const { latencies, stats } = results[k]!;
        side.latencies.push(...latencies);
        side.roundP99s.push(percentile(latencies, 99));
        side.stats.push(stats);
      }
    }
    return sides;
  } finally {
    try {
      await run.clients.call({ kind: 'close' });
    } finally {
      for (const host of hosts) {
        // Best effort: a graceful stop closes the database cleanly; ending the child follows either way.
        await host.call({ kind: 'stop' }).catch(() => undefined);
        await host.close();
      }
    }
  }
}

const fixed = (n: number, digits = 1) => n.toFixed(digits);

/** One progress line per side: pooled p99, the rounds' p99 range, and what its process did meanwhile. */
function describeSide(scenario: Scenario, side: Side): string {
  const sum = (f: (s: RoundStats) => number) => side.stats.reduce((a, s) => a + f(s), 0);
  const max = (f: (s: RoundStats) => number) => Math.max(...side.stats.map(f));
  const cpu = sum((s) => s.cpuUsPerEvent) / side.stats.length;
  return `sse.${scenario} ${side.variant}: p99 ${fixed(percentile(side.latencies, 99), 2)} ms of ${side.latencies.length} deliveries (rounds' p99 ${fixed(Math.min(...side.roundP99s), 2)}–${fixed(Math.max(...side.roundP99s), 2)}, median ${fixed(percentile(side.roundP99s, 50), 2)}); ` +
    `GC ${sum((s) => s.gcCount)}× ${fixed(sum((s) => s.gcTotalMs))} ms (max ${fixed(max((s) => s.gcMaxMs))}); loop delay p99 ≤ ${fixed(max((s) => s.loopDelayP99Ms))} ms, max ${fixed(max((s) => s.loopDelayMaxMs))} ms; CPU ${fixed(cpu, 0)} µs/event`;
}

async function measure(context: BenchContext): Promise<Measurement[]> {
  const size = SIZES[context.mode];
  const db = await createBenchDatabase('sqlite', 'NORMAL');
  // Every child starts now, so their module loading overlaps; each host serves one side of one scenario.
  const clients: ClientsHandle = startWorker('sse-clients');
  const hosts = SCENARIOS.map((): [HostHandle, HostHandle] => [startWorker('sse-host', { exposeGc: true }), startWorker('sse-host', { exposeGc: true })]);
  const out: Measurement[] = [];
  try {
    for (const [k, scenario] of SCENARIOS.entries()) {
      const pace = scenario === 'one_session' ? size.one : size.many;
      const [ours, bare] = (await runScenario({ db, scenario, streams: size.streams, pace, clients }, context.mode, hosts[k]!)) as [Side, Side];
      const note = `${size.streams} streams${scenario === 'one_session' ? ' on 1 session' : ', 1 per session'}, ${pace.rate} events/s per side, their events alternating; ${pace.rounds} rounds of ${pace.seconds} s; ${ours.latencies.length} deliveries per side`;
      for (const side of [ours, bare]) context.log(describeSide(scenario, side));
      context.log(`sse.${scenario}: ${fixed(ours.rssPerStream / 1024)} KB/stream (bare ${fixed(bare.rssPerStream / 1024)})`);
      out.push(
        { name: `sse.${scenario}.p50`, value: percentile(ours.latencies, 50), baseline: percentile(bare.latencies, 50), note },
        { name: `sse.${scenario}.p99`, value: percentile(ours.latencies, 99), baseline: percentile(bare.latencies, 99) },
        { name: `sse.${scenario}.memory_per_stream`, value: ours.rssPerStream / 1024, baseline: bare.rssPerStream / 1024 },
        { name: `sse.${scenario}.heap_per_stream`, value: ours.heapPerStream / 1024, baseline: bare.heapPerStream / 1024 },
      );
    }
    return out;
  } finally {
    for (const host of hosts.flat()) await host.close();
    await clients.close();
    await db.drop();
  }
}

export const sseFanoutSuite: BenchSuite = { name: 'sse', figures: figures(), run: measure };
