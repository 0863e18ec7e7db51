/** `oma doctor`: checks this installation and prints what to fix. */
import { loadConfig } from '../../config/load.ts';
import { runDoctor } from '../../ops/doctor.ts';
import type { Command } from '../command.ts';

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check secrets, database, migrations, sandbox prerequisites, vault CA and disk space',
  help: `usage: npm run oma -- doctor
  Read-only checks of this configuration (the server may be running). Prints one line per check
  and, for a problem, what to do. Exit code 1 when a check fails, 0 otherwise (warnings included).`,
  options: {},
  async run() {
    const checks = await runDoctor(loadConfig(process.env, { generateSecrets: false }));
    for (const c of checks) {
      process.stdout.write(`${MARK[c.status]} ${c.name}: ${c.detail}\n`);
      if (c.fix && c.status !== 'ok') process.stdout.write(`     → ${c.fix}\n`);
    }
    const failed = checks.filter((c) => c.status === 'fail').length;
    process.stdout.write(failed > 0 ? `\n${failed} problem(s) to fix.\n` : '\nno problems found.\n');
    return failed > 0 ? 1 : 0;
  },
};
