/**
 * Operator commands (`npm run oma -- <command>`), reading the same configuration as the server.
 * This file only dispatches; each command lives in commands/. `--help` works on the tool and on
 * every command.
 */
import { ConfigError } from '../config/load.ts';
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import { COMMANDS } from './commands/index.ts';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: npm run oma -- <command> [options]   (the server\'s environment: DATA_DIR, DATABASE_URL, …)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'npm run oma -- <command> --help shows a command\'s options.',
  ].join('\n');
}

/** The command named by the leading words of argv (longest match), and the rest of argv. */
function findCommand(argv: string[]): { command?: Command; rest: string[] } {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return { rest: argv };
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${overview()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const { command, rest } = findCommand(argv);
  if (!command) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0 && (rest.length === 1 || rest[1] === '--help' || rest[1] === '-h')) {
      process.stdout.write(`${group.map((c) => c.help).join('\n\n')}\n`);
      return rest[1] ? 0 : 2;
    }
    throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"; npm run oma -- --help lists the commands`);
  }
  const args = parseCommandArgs(command, rest);
  if (args.help) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`oma: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError || err instanceof UsageError ? 2 : 1);
  },
);
