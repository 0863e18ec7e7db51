/** Command line of `npm run bench`: [--quick | --tiny] [--json FILE] [--only suite,suite]. */
import type { BenchMode } from './suite.ts';

export interface BenchOptions {
  mode: BenchMode;
  jsonFile?: string;
  /** Suite names to run; all when undefined. */
  only?: string[];
}

export const USAGE = 'usage: npm run bench -- [--quick | --tiny] [--json FILE] [--only append,http,sse,turns,tools,boot,recovery,scale]';

/** Throws an Error carrying the usage line on anything it does not understand. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { mode: 'full' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--quick') options.mode = 'quick';
    else if (arg === '--tiny') options.mode = 'tiny';
    else if (arg === '--json') options.jsonFile = value();
    else if (arg === '--only') options.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return options;
}
