/**
 * The shape every benchmark suite has: a closed catalogue of the figures it reports (name, unit,
 * target) and a `run` that measures them. `main.ts` checks that each declared figure was measured
 * exactly once with a finite value, so a suite cannot silently drop one.
 */

/** full: the published figures; quick: CI's smoke run; tiny: the vitest smoke test. */
export type BenchMode = 'full' | 'quick' | 'tiny';

export type Unit = 'events/s' | 'req/s' | 'turns/s' | 'ms' | 'KB' | 'MB';

/** A target on the figure's value (e.g. p50 <= 0.5 ms) or on its ratio to the baseline (>= 0.5). */
export interface Target {
  on: 'value' | 'ratio';
  op: '>=' | '<=' | '<';
  limit: number;
}

export interface FigureSpec {
  name: string;
  unit: Unit;
  /** One line for the README: what is measured and against which baseline. */
  description: string;
  target?: Target;
}

/** One measured figure; `baseline` is the same thing done by the bare driver / server / spawn. */
export interface Measurement {
  name: string;
  value: number;
  baseline?: number;
  /** Sizes behind the figure in this run, e.g. "1000 streams, 10 ev/s for 5 s". */
  note?: string;
}

export interface BenchContext {
  mode: BenchMode;
  /** Progress line on stderr (stdout carries only the table). */
  log(message: string): void;
}

export interface BenchSuite {
  name: string;
  figures: FigureSpec[];
  run(context: BenchContext): Promise<Measurement[]>;
}

