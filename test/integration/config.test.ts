/**
 * Configuration: loadConfig validation and secret files, and the real process's exit codes for a
 * bad value (2) and a PLATFORM_ROOT_SECRET that does not match the database (3).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startTestServer } from '../support/server.ts';

const ROOT = join(import.meta.dirname, '..', '..');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx src/main.ts` with only the given environment (plus PATH/HOME). */
function runMain(env: Record<string, string>, options: { untilListening?: boolean; timeoutMs?: number } = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main did not exit in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.untilListening && /listening/.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function catchConfig(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('loadConfig accepted the environment');
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oma-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('a bad value throws a ConfigError naming the variable', () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: 'abc' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ MAX_BODY_BYTES: '-5' }, 'MAX_BODY_BYTES'],
      [{ PLATFORM_ROOT_SECRET: 'short' }, 'PLATFORM_ROOT_SECRET'],
    ];
    for (const [env, name] of cases) {
      let error: unknown;
      try {
        loadConfig({ DATA_DIR: tempDir(), ...env });
      } catch (err) {
        error = err;
      }
      expect(error, name).toBeInstanceOf(ConfigError);
      expect((error as Error).message, name).toMatch(new RegExp(`\\b${name}\\b`));
      expect((error as Error).message).not.toMatch(/\n/);
    }
  });

  it('never echoes a secret or a database password in the error', () => {
    const secret = catchConfig({ DATA_DIR: tempDir(), PLATFORM_ROOT_SECRET: 'tooshort-SeCrEt' });
    expect(secret).toMatch(/PLATFORM_ROOT_SECRET/);
    expect(secret).not.toMatch(/SeCrEt/);
    const url = catchConfig({ DATA_DIR: tempDir(), DATABASE_URL: 'mysql://me:hunter2pass@db/x' });
    expect(url).toMatch(/DATABASE_URL/);
    expect(url).not.toMatch(/hunter2pass/);
  });

  it('generates missing secrets into 0600 files under DATA_DIR and reuses them', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.generatedSecrets.length).toBe(2);
    for (const file of ['.platform-root-secret', '.better-auth-secret']) {
      const path = join(dataDir, file);
      expect(existsSync(path), file).toBe(true);
      expect(statSync(path).mode & 0o777, file).toBe(0o600);
    }
    expect(readFileSync(join(dataDir, '.platform-root-secret'), 'utf8').trim()).toBe(first.secrets.platformRootSecret);
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.generatedSecrets).toEqual([]);
    expect(second.secrets).toEqual(first.secrets);
  });

  it('a set value wins over the file and is not written', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    const set = loadConfig({ DATA_DIR: dataDir, PLATFORM_ROOT_SECRET: 'from-env-0123456789abcdef', PORT: '9999', DATABASE_URL: 'postgres://u@h:5432/d' });
    expect(set.secrets.platformRootSecret).toBe('from-env-0123456789abcdef');
    expect(set.secrets.betterAuthSecret).toBe(first.secrets.betterAuthSecret);
    expect(set.port).toBe(9999);
    expect(set.database).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/d', poolMax: 10, poolTimeoutMs: 5000 });
    expect(readFileSync(join(dataDir, '.platform-root-secret'), 'utf8').trim()).toBe(first.secrets.platformRootSecret);
    const fresh = tempDir();
    loadConfig({ DATA_DIR: fresh, PLATFORM_ROOT_SECRET: 'x'.repeat(32), BETTER_AUTH_SECRET: 'y'.repeat(32) });
    expect(existsSync(join(fresh, '.platform-root-secret'))).toBe(false);
  });

  it('defaults paths under DATA_DIR', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.database).toMatchObject({ kind: 'sqlite', path: join(dataDir, 'oma.db') });
    expect(config.port).toBe(8787);
  });
});

describe('the server process', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
  ])('a bad value (%o) stops the boot with exit code 2 and one stderr line', async (env, name) => {
    const exit = await runMain({ DATA_DIR: tempDir(), ...env });
    expect(exit.code, exit.stderr).toBe(2);
    const lines = exit.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, exit.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`\\b${name}\\b`));
  });

  describe.each(BACKENDS)('PLATFORM_ROOT_SECRET check (%s)', (backend) => {
    let db: TestDatabase | undefined;
    afterEach(async () => {
      await db?.drop();
      db = undefined;
    });

    it('refuses to start (exit 3) with a different secret than the database was first used with', async () => {
      db = await createTestDatabase(backend);
      const first = await startTestServer(backend, { db, env: { PLATFORM_ROOT_SECRET: 'original-secret-0123456789' } });
      await first.client.beta.agents.create({ name: 'x', model: 'claude-sonnet-4-6' });
      await first.stopServer();
      const dbEnv: Record<string, string> = db.database.kind === 'postgres' ? { DATABASE_URL: db.database.url } : { DATABASE_PATH: db.database.path };

      const wrong = await runMain({ DATA_DIR: db.dataDir, ...dbEnv, PLATFORM_ROOT_SECRET: 'another-secret-0123456789' });
      expect(wrong.code, wrong.stdout + wrong.stderr).toBe(3);
      expect(wrong.stdout + wrong.stderr).toMatch(/PLATFORM_ROOT_SECRET does not match/);
      expect(wrong.stdout + wrong.stderr).not.toMatch(/another-secret|original-secret-/);

      const right = await runMain({ DATA_DIR: db.dataDir, ...dbEnv, PLATFORM_ROOT_SECRET: 'original-secret-0123456789' }, { untilListening: true });
      expect(right.stdout).toMatch(/listening/);
      expect(right.code, right.stdout + right.stderr).toBe(0);
    });
  });
});
