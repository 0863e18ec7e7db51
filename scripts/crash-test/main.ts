/**
 * `npm run crash-test -- --iterations N --backend sqlite|postgres|both [--seed S] [--min-kills K]
 * [--first-iteration I] [--keep] [--quiet]`: kill -9 the real server at random moments and check
 * that nothing is lost or duplicated. Exits 1 when any invariant was violated, 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import { runCrashTest, type CrashTestReport } from './crash-test.ts';
import type { Backend } from '../../test/support/backends.ts';
import { formatReports } from './report.ts';

const USAGE = `usage: npm run crash-test -- --iterations N --backend sqlite|postgres|both [--seed S] [--min-kills K] [--first-iteration I] [--kills-per-iteration N|MIN-MAX] [--sessions-per-iteration N|MIN-MAX] [--workload full|light] [--keep] [--quiet] [--trace]\n`;

function usage(message: string): never {
  process.stderr.write(`crash-test: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '10' },
      backend: { type: 'string', default: 'sqlite' },
      seed: { type: 'string' },
      'min-kills': { type: 'string' },
      'first-iteration': { type: 'string' },
      'kills-per-iteration': { type: 'string' },
      'sessions-per-iteration': { type: 'string' },
      workload: { type: 'string', default: 'full' },
      keep: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  usage((err as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const integer = (name: string, value: string | undefined, min: number) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer >= ${min}`);
  return n;
};
const backends: Backend[] =
  values.backend === 'both' ? ['sqlite', 'postgres'] : values.backend === 'sqlite' || values.backend === 'postgres' ? [values.backend] : usage('--backend must be sqlite, postgres or both');
const range = (name: string, value: string | undefined): [number, number] | undefined => {
  if (value === undefined) return undefined;
  const [min, max = min] = value.split('-').map((x) => integer(name, x, 1)!);
  if (min! > max) usage(`--${name} must be N or MIN-MAX`);
  return [min!, max];
};
const seed = integer('seed', values.seed, 0) ?? Math.floor(Math.random() * 2 ** 31);
const log = values.quiet ? undefined : (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
process.stdout.write(`crash-test: seed ${seed}, backends ${backends.join(', ')}\n`);

// First SIGINT/SIGTERM: finish the current iteration, clean up and print the report; second: exit now.
const stop = new AbortController();
const onSignal = () => {
  if (stop.signal.aborted) process.exit(130);
  process.stdout.write('crash-test: stopping after the current iteration (signal again to exit at once)\n');
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const reports: CrashTestReport[] = [];
for (const backend of backends) {
  if (stop.signal.aborted) break;
  reports.push(
    await runCrashTest({
      backend,
      seed,
      iterations: integer('iterations', values.iterations, 1)!,
      minKills: integer('min-kills', values['min-kills'], 0),
      firstIteration: integer('first-iteration', values['first-iteration'], 0),
      killsPerIteration: range('kills-per-iteration', values['kills-per-iteration']),
      sessionsPerIteration: range('sessions-per-iteration', values['sessions-per-iteration']),
      workload: values.workload === 'full' || values.workload === 'light' ? values.workload : usage('--workload must be full or light'),
      keepData: values.keep,
      signal: stop.signal,
      log: log && ((line) => log(`[${backend}] ${line}`)),
      trace: values.trace ? (line) => process.stdout.write(`${line}\n`) : undefined,
    }),
  );
}
process.stdout.write(`\n${formatReports(reports)}\n`);
process.exit(reports.some((r) => r.violations.length > 0) ? 1 : 0);
