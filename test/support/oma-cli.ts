/** Runs the real `oma` CLI (`node --import tsx src/cli/oma.ts …`) as a child process, on a test database. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from './backends.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a server on `db` would have (DATA_DIR and its database), plus `extra`. */
export function cliEnv(db: TestDatabase, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: db.dataDir, LOG_LEVEL: 'silent', ...extra };
  if (db.database.kind === 'postgres') env.DATABASE_URL = db.database.url;
  else env.DATABASE_PATH = db.database.path;
  return env;
}

/** Resolves with the exit code and output, whatever the code (never rejects on a non-zero exit). */
export function runOma(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/oma.ts', ...args], { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(new Error(`oma ${args.join(' ')} did not run: ${err.message}\n${stderr}`));
      else resolve({ code: err ? Number((err as { code: number }).code) : 0, stdout, stderr });
    });
  });
}
