/** Small statistics and timing helpers shared by the suites. Times are milliseconds. */
import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds on a clock every process of this machine shares (CLOCK_MONOTONIC). */
export function sharedClockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The nearest-rank percentile (0–100) of the samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  let sum = 0;
  for (const s of samples) sum += s;
  return sum / samples.length;
}

/** What a timed closed loop did: operations completed, wall time, and each operation's latency. */
export interface LoopResult {
  count: number;
  elapsedMs: number;
  latencies: number[];
}

export function ratePerSecond(result: LoopResult): number {
  return result.elapsedMs > 0 ? (result.count * 1000) / result.elapsedMs : Number.NaN;
}

/** Merges the loops of several rounds of the same measurement. */
export function mergeLoops(results: readonly LoopResult[]): LoopResult {
  return {
    count: results.reduce((n, r) => n + r.count, 0),
    elapsedMs: results.reduce((n, r) => n + r.elapsedMs, 0),
    latencies: results.flatMap((r) => r.latencies),
  };
}

/**
 * Runs `writers` closed loops at once for `durationMs`: each calls `op(writer, i)` again as soon as
 * the previous call settled. Any rejection stops the measurement (a benchmark that fails must not
 * report a figure).
 */
export async function runClosedLoops(writers: number, durationMs: number, op: (writer: number, i: number) => Promise<void> | void): Promise<LoopResult> {
  const latencies: number[] = [];
  let count = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const loop = async (writer: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const t = performance.now();
      await op(writer, i);
      latencies.push(performance.now() - t);
      count++;
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w)));
  return { count, elapsedMs: performance.now() - start, latencies };
}

/** Runs `fn` `times` times one after another and returns each duration. */
export async function timeEach(times: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** Resolves after `ms` (benchmarks pace their load with it; tests never sleep). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One timed operation: wall time and this process's CPU time (user + system, all threads). */
export interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Runs `fn` once and returns its wall and process CPU time. */
export async function sample(fn: () => Promise<unknown>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * Lets earlier work's callbacks run and collects the young garbage it left (when run with
 * --expose-gc), so the next sample starts from an empty young generation. A minor GC costs well
 * under a millisecond; a full one costs ~100 ms here, too much to run before every sample.
 */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}
