/**
 * SSE fan-out: N open streams on one session, and N sessions with one stream each, while events
 * are appended at a steady rate. Delivery latency runs from the commit (stamped by a hub listener
 * that runs before the streams' own) to the moment the bytes reach the client process, on a clock
 * both processes share. Memory per idle stream is the host process's growth (after GC) from
 * opening the streams. The baseline is a bare node:http fan-out of the same frames (baselines/).
 */
import { createBenchDatabase } from '../databases.ts';
import { startWorker, type WorkerHandle } from '../child.ts';
import { percentile, sleep } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, FigureSpec, Measurement } from '../suite.ts';
import type { MemorySnapshot, SseHostRequest, SseHostResult } from '../workers/sse-host.ts';
import type { SseClientsRequest, SseClientsResult } from '../workers/sse-clients.ts';
import type { TestDatabase } from '../../test/support/backends.ts';

const SIZES: Record<BenchMode, { streams: number; oneRate: number; manyRate: number; seconds: number }> = {
  full: { streams: 1000, oneRate: 10, manyRate: 200, seconds: 5 },
  quick: { streams: 100, oneRate: 20, manyRate: 100, seconds: 2 },
  tiny: { streams: 10, oneRate: 20, manyRate: 40, seconds: 0.5 },
};
const SCENARIOS = ['one_session', 'many_sessions'] as const;
type Scenario = (typeof SCENARIOS)[number];
const DELIVERY_TIMEOUT_MS = 30_000;
const MEMORY_STEPS = 4;

interface VariantOutcome {
  latencies: number[];
  /** Bytes per open stream. */
  rssPerStream: number;
  heapPerStream: number;
}

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
    await sleep(50);
  }
}

type HostHandle = WorkerHandle<SseHostRequest, SseHostResult>;
type ClientsHandle = WorkerHandle<SseClientsRequest, SseClientsResult>;

interface VariantRun {
  scenario: Scenario;
  variant: 'ours' | 'bare';
  mode: BenchMode;
  /** A fresh host process (its memory growth is the figure); closed by this run. */
  host: HostHandle;
  clients: ClientsHandle;
}

async function runVariant(db: TestDatabase, run: VariantRun): Promise<VariantOutcome> {
  const { scenario, variant, mode, host, clients } = run;
  const size = SIZES[mode];
  if (db.database.kind !== 'sqlite') throw new Error('the SSE benchmark runs on SQLite');
  try {
    const sessions = scenario === 'one_session' ? 1 : size.streams;
    const { baseURL, paths } = await call<{ baseURL: string; paths: string[] }>(host, { kind: 'start', variant, database: db.database, dataDir: db.dataDir, sessions });
    const streamPaths = scenario === 'one_session' ? Array.from({ length: size.streams }, () => paths[0]!) : paths;
    // Streams open in steps with a snapshot after each; the fitted slope ignores a constant shift
    // (memory freed after boot, allocator reuse) that a single before/after difference would take in.
    const points: { streams: number; memory: MemorySnapshot }[] = [{ streams: 0, memory: (await call<{ memory: MemorySnapshot }>(host, { kind: 'memory' })).memory }];
    for (let step = 1; step <= MEMORY_STEPS; step++) {
      const from = points.at(-1)!.streams;
      const to = Math.round((streamPaths.length * step) / MEMORY_STEPS);
      await clients.call({ kind: 'open', baseURL, paths: streamPaths.slice(from, to) });
      points.push({ streams: to, memory: (await call<{ memory: MemorySnapshot }>(host, { kind: 'memory' })).memory });
    }
    const rate = scenario === 'one_session' ? size.oneRate : size.manyRate;
    const count = Math.max(1, Math.round(rate * size.seconds));
    const { commits } = await call<{ commits: Float64Array }>(host, { kind: 'append', ratePerSecond: rate, count });
    await waitForFrames(clients, scenario === 'one_session' ? count * size.streams : count);
    const { records } = (await clients.call({ kind: 'collect' })) as { records: Float64Array };
    const committedAt = new Map<string, number>();
    for (let i = 0; i < commits.length; i += 3) committedAt.set(`${commits[i]}:${commits[i + 1]}`, commits[i + 2]!);
    const latencies: number[] = [];
    for (let i = 0; i < records.length; i += 3) {
      const session = scenario === 'one_session' ? 0 : records[i]!;
      const t = committedAt.get(`${session}:${records[i + 1]}`);
      if (t !== undefined) latencies.push(records[i + 2]! - t);
    }
    return {
      latencies,
      rssPerStream: slope(points.map((p) => [p.streams, p.memory.rss])),
      heapPerStream: slope(points.map((p) => [p.streams, p.memory.heap])),
    };
  } finally {
    try {
      await clients.call({ kind: 'close' });
    } finally {
      // Best effort: a graceful stop closes the database cleanly; ending the child follows either way.
      await host.call({ kind: 'stop' }).catch(() => undefined);
      await host.close();
    }
  }
}

async function measure(context: BenchContext): Promise<Measurement[]> {
  const size = SIZES[context.mode];
  const db = await createBenchDatabase('sqlite', 'NORMAL');
  // Every child starts now, so their module loading overlaps; each host serves one run only.
  const clients: ClientsHandle = startWorker('sse-clients');
  const hosts: HostHandle[] = SCENARIOS.flatMap(() => [startWorker('sse-host', { exposeGc: true }), startWorker('sse-host', { exposeGc: true })]);
  const out: Measurement[] = [];
  try {
    for (const [k, scenario] of SCENARIOS.entries()) {
      const ours = await runVariant(db, { scenario, variant: 'ours', mode: context.mode, host: hosts[2 * k]!, clients });
      const bare = await runVariant(db, { scenario, variant: 'bare', mode: context.mode, host: hosts[2 * k + 1]!, clients });
      const rate = scenario === 'one_session' ? size.oneRate : size.manyRate;
      const note = `${size.streams} streams${scenario === 'one_session' ? ' on 1 session' : ', 1 per session'}, ${rate} events/s for ${size.seconds} s; ${ours.latencies.length} deliveries`;
      context.log(`sse.${scenario}: p99 ${percentile(ours.latencies, 99).toFixed(1)} ms vs bare ${percentile(bare.latencies, 99).toFixed(1)} ms; ${(ours.rssPerStream / 1024).toFixed(1)} KB/stream`);
      out.push(
        { name: `sse.${scenario}.p50`, value: percentile(ours.latencies, 50), baseline: percentile(bare.latencies, 50), note },
        { name: `sse.${scenario}.p99`, value: percentile(ours.latencies, 99), baseline: percentile(bare.latencies, 99) },
        { name: `sse.${scenario}.memory_per_stream`, value: ours.rssPerStream / 1024, baseline: bare.rssPerStream / 1024 },
        { name: `sse.${scenario}.heap_per_stream`, value: ours.heapPerStream / 1024, baseline: bare.heapPerStream / 1024 },
      );
    }
    return out;
  } finally {
    for (const host of hosts) await host.close();
    await clients.close();
    await db.drop();
  }
}

export const sseFanoutSuite: BenchSuite = { name: 'sse', figures: figures(), run: measure };
