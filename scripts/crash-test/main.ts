/**
 * `npm run crash-test -- --iterations N --backend sqlite|postgres|both [--seed S] …` (`--help` lists
 * the rest): kill -9 the real server at chosen moments and check that nothing is lost or
 * duplicated. Prints a table; exits 1 when any invariant was violated, 2 on bad arguments.
 */
import { runCrashTest, type CrashTestReport } from './crash-test.ts';
import { parseCliOptions, USAGE } from './cli-options.ts';
import { formatReports } from './report.ts';

const cli = parseCliOptions(process.argv.slice(2));
if (cli.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const log = cli.quiet ? undefined : (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
process.stdout.write(`crash-test: seed ${cli.seed}, backends ${cli.backends.join(', ')}\n`);

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
for (const backend of cli.backends) {
  if (stop.signal.aborted) break;
  reports.push(
    await runCrashTest({
      ...cli.run,
      backend,
      seed: cli.seed,
      signal: stop.signal,
      log: log && ((line) => log(`[${backend}] ${line}`)),
      trace: cli.trace ? (line) => process.stdout.write(`${line}\n`) : undefined,
    }),
  );
}
process.stdout.write(`\n${formatReports(reports)}\n`);
process.exit(reports.some((r) => r.violations.length > 0) ? 1 : 0);
