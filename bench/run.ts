/**
 * Runs the chosen suites one after another and checks their output against their catalogues:
 * every declared figure measured once with a finite value. A failing suite is reported and the
 * others still run; the run as a whole then fails.
 */
import { toResult, type BenchResult } from './report.ts';
import type { BenchContext, BenchSuite } from './suite.ts';

export interface RunOutcome {
  results: BenchResult[];
  /** One line per suite that threw or broke its catalogue. */
  failures: string[];
}

export async function runSuites(suites: readonly BenchSuite[], context: BenchContext): Promise<RunOutcome> {
  const results: BenchResult[] = [];
  const failures: string[] = [];
  for (const suite of suites) {
    const started = Date.now();
    context.log(`— ${suite.name}`);
    try {
      const measured = await suite.run(context);
      const byName = new Map(measured.map((m) => [m.name, m]));
      for (const spec of suite.figures) {
        const m = byName.get(spec.name);
        if (!m) failures.push(`${suite.name}: figure ${spec.name} was not measured`);
        else if (!Number.isFinite(m.value)) failures.push(`${suite.name}: figure ${spec.name} is not a finite number (${m.value})`);
        else results.push(toResult(spec, m));
      }
      const undeclared = measured.filter((m) => !suite.figures.some((f) => f.name === m.name)).map((m) => m.name);
      if (undeclared.length > 0) failures.push(`${suite.name}: figures not in its catalogue: ${undeclared.join(', ')}`);
    } catch (err) {
      failures.push(`${suite.name}: ${(err as Error).stack ?? String(err)}`);
    }
    context.log(`— ${suite.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return { results, failures };
}
