/** The shape every `oma` command shares, and the parsing of its arguments (with `--help`). */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** A problem with the command line or its use; printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  /** As typed after `oma`, e.g. "backup" or "api-keys create". */
  name: string;
  summary: string;
  /** Usage lines and option descriptions, shown by `--help`. */
  help: string;
  options: OptionSpec;
  /** Returns the exit code. */
  run(args: ParsedArgs): Promise<number>;
}

/** Parses argv for one command; `--help`/`-h` is always accepted. Unknown options are a UsageError. */
export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs & { help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    });
    const { help, ...rest } = values as Record<string, string | boolean | undefined>;
    return { values: rest, positionals, help: help === true };
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]!.replace(/\. To specify .*/, '')} (see: npm run oma -- ${command.name} --help)`);
  }
}

/** The string value of an option that must be present. */
export function requireOption(args: ParsedArgs, name: string, hint = ''): string {
  const v = args.values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required${hint ? ` (${hint})` : ''}`);
  return v;
}
