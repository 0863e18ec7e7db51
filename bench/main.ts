/** `npm run bench`: measures each hot path against its baseline, prints the table, writes --json. */
import { parseOptions } from './options.ts';
import { describeMachine, formatTable, writeJson } from './report.ts';
import { runSuites } from './run.ts';
import { SUITES } from './suites/index.ts';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}
const unknown = (options.only ?? []).filter((name) => !SUITES.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const suites = options.only ? SUITES.filter((s) => options.only!.includes(s.name)) : SUITES;
const machine = describeMachine();
const started = new Date();
const { results, failures } = await runSuites(suites, { mode: options.mode, log: (m) => process.stderr.write(`bench: ${m}\n`) });
process.stdout.write(`${formatTable(results)}\n\n${started.toISOString().slice(0, 10)} · mode ${options.mode} · ${machine.cpu} × ${machine.cores} · ${machine.mem} · node ${machine.node} · ${machine.os}\n`);
if (options.jsonFile) writeJson(options.jsonFile, { machine, mode: options.mode, date: started.toISOString(), failures, results });
for (const f of failures) process.stderr.write(`bench: FAILED ${f}\n`);
// Drivers and servers are closed by the suites; exit explicitly so a stray keep-alive socket cannot hold the run open.
process.exit(failures.length > 0 ? 1 : 0);
