/** Parses `npm run crash-test` arguments into run options; bad arguments exit 2 with the usage. */
import { parseArgs } from 'node:util';
import type { Backend } from '../../test/support/backends.ts';
import type { CrashTestOptions } from './crash-test.ts';

export const USAGE =
  'usage: npm run crash-test -- --iterations N --backend sqlite|postgres|both [--seed S] [--min-kills K] [--first-iteration I]\n' +
  '         [--kills-per-iteration N|MIN-MAX] [--sessions-per-iteration N|MIN-MAX] [--workload full|light|chaos] [--keep] [--quiet] [--trace]\n';

export interface CliOptions {
  backends: Backend[];
  seed: number;
  quiet: boolean;
  trace: boolean;
  help: boolean;
  run: Omit<CrashTestOptions, 'backend' | 'seed' | 'log' | 'trace' | 'signal'>;
}

function usage(message: string): never {
  process.stderr.write(`crash-test: ${message}\n${USAGE}`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer >= ${min}`);
  return n;
}

function range(name: string, value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const [min, max = min] = value.split('-').map((x) => integer(name, x, 1)!);
  if (min! > max!) usage(`--${name} must be N or MIN-MAX`);
  return [min!, max!];
}

export function parseCliOptions(args: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
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
  const backend = values.backend;
  const backends: Backend[] = backend === 'both' ? ['sqlite', 'postgres'] : backend === 'sqlite' || backend === 'postgres' ? [backend] : usage('--backend must be sqlite, postgres or both');
  const workload = values.workload === 'full' || values.workload === 'light' || values.workload === 'chaos' ? values.workload : usage('--workload must be full, light or chaos');
  return {
    backends,
    seed: integer('seed', values.seed, 0) ?? Math.floor(Math.random() * 2 ** 31),
    quiet: values.quiet,
    trace: values.trace,
    help: values.help,
    run: {
      iterations: integer('iterations', values.iterations, 1)!,
      minKills: integer('min-kills', values['min-kills'], 0),
      firstIteration: integer('first-iteration', values['first-iteration'], 0),
      killsPerIteration: range('kills-per-iteration', values['kills-per-iteration']),
      sessionsPerIteration: range('sessions-per-iteration', values['sessions-per-iteration']),
      workload,
      keepData: values.keep,
    },
  };
}
