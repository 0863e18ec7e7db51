/**
 * `oma rotate-root-secret`: re-encrypts every sealed value under a new PLATFORM_ROOT_SECRET in one
 * transaction and updates the check value, so the old secret is refused at the next boot. The server
 * must be stopped (the DATA_DIR lock proves it). The new secret is written to a 0600 file before the
 * transaction commits, so a crash never leaves data sealed under a secret nobody has.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { openStore } from '../../store/open-store.ts';
import { lockDataDir } from '../../ops/data-dir-lock.ts';
import { checkRootSecret } from '../../vault/root-secret-check.ts';
import { rotateRootSecret } from '../../vault/rotate-root-secret.ts';
import { UsageError, type Command } from '../command.ts';

function newSecretFrom(file: string | undefined, oldSecret: string): string {
  const secret = file ? readFileSync(file, 'utf8').trim() : randomBytes(32).toString('base64');
  if (secret.length < 16) throw new UsageError(`--new-secret-file ${file}: the secret must be at least 16 characters`);
  if (secret === oldSecret) throw new UsageError('the new secret is the current PLATFORM_ROOT_SECRET; give a different one');
  return secret;
}

export const rotateRootSecretCommand: Command = {
  name: 'rotate-root-secret',
  summary: 'stop the server first; re-encrypt every stored secret under a new PLATFORM_ROOT_SECRET',
  help: `usage: npm run oma -- rotate-root-secret [--new-secret-file <file>]
  --new-secret-file  the new secret (one line, at least 16 characters); default: a fresh random one
Runs with the server's environment and needs the server stopped. When PLATFORM_ROOT_SECRET comes from
DATA_DIR/.platform-root-secret, that file is replaced; when it comes from the environment, the new
secret is left in DATA_DIR/.platform-root-secret.new for you to put in the environment.`,
  options: { 'new-secret-file': { type: 'string' } },
  async run(args) {
    const config = loadConfig();
    const lock = lockDataDir(config.dataDir);
    try {
      const oldSecret = config.secrets.platformRootSecret;
      const file = typeof args.values['new-secret-file'] === 'string' ? args.values['new-secret-file'] : undefined;
      const newSecret = newSecretFrom(file, oldSecret);
      const store = await openStore(config.database);
      const pending = join(config.dataDir, '.platform-root-secret.new');
      let committed = false;
      try {
        await checkRootSecret(store, oldSecret);
        writeFileSync(pending, `${newSecret}\n`, { mode: 0o600 });
        const report = await rotateRootSecret(store, { oldSecret, newSecret });
        committed = true;
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } finally {
        // Rolled back: the data is still sealed under the old secret, so the new one is not kept.
        if (!committed) rmSync(pending, { force: true });
        await store.close();
      }
      if (config.secrets.platformRootSecretFile) {
        renameSync(pending, config.secrets.platformRootSecretFile);
        process.stderr.write(`Rotated. ${config.secrets.platformRootSecretFile} now holds the new secret; back it up. The old secret is refused from now on.\n`);
      } else {
        process.stderr.write(`Rotated. Set PLATFORM_ROOT_SECRET to the contents of ${pending} (then delete that file) before starting the server; the old secret is refused from now on.\n`);
      }
      return 0;
    } finally {
      lock.release();
    }
  },
};
