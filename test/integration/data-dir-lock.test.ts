/**
 * One server per DATA_DIR (issue 18). Repro of the bug guarded here: a second server started on the
 * same DATA_DIR (another PORT) took the first one's INSTANCE_ID, "cleaned up" the first one's running
 * bash command as a crash leftover, and the live turn got a SIGKILL result with is_error false.
 * Now the second server exits at once with a one-line error naming the holder's pid, and even a
 * provider given the same instance id leaves a live run's commands alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { freePort, startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { isRunning, startSleepingTurn, uniqueSleep } from '../support/sleeping-turn.ts';
import { loadConfig } from '../../src/config/load.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';
import { ScriptedAgent } from '../../scripts/crash-test/scripted-agent.ts';
import { listAllEvents } from '../../scripts/crash-test/api.ts';

/** Runs a second `src/main.ts` on the given environment until it exits. */
function runSecondServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: join(import.meta.dirname, '..', '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the second server kept running:\n${stdout}${stderr}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe.each(BACKENDS)('one server per DATA_DIR (%s)', (backend) => {
  let fake: FakeModel;
  let db: TestDatabase;
  let server: ChildServer | undefined;
  const marker = uniqueSleep(10);
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(new ScriptedAgent().respond);
    db = await createTestDatabase(backend);
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await fake?.close();
    await db?.drop();
  });

  it('refuses a second server with the holder\'s pid, and the first one\'s running tool is untouched', async () => {
    server = await startChildServer(db, { env: { ANTHROPIC_BASE_URL: fake.url } });
    expect(readFileSync(join(db.dataDir, 'server.pid'), 'utf8').trim()).toBe(String(server.child.pid));
    const sessionId = await startSleepingTurn(server.baseURL, marker, 'lock');

    // The scenario: same DATA_DIR, another PORT (and on Postgres the same DATABASE_URL).
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(await freePort()), AUTH_DISABLED: '1', DATA_DIR: db.dataDir, LOG_LEVEL: 'info', ANTHROPIC_API_KEY: 'sk-test' };
    if (db.database.kind === 'postgres') env.DATABASE_URL = db.database.url;
    else env.DATABASE_PATH = db.database.path;
    const second = await runSecondServer(env);
    expect(second.code).toBe(4);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`pid ${server.child.pid}`);
    expect(lines[0]).toContain(db.dataDir);
    expect(second.stdout).not.toMatch(/killed|previous run/);
    expect(isRunning(marker)).toBe(true);

    // Even a provider with this instance's id (same ledger) leaves a live server's commands alone.
    const { instanceId } = loadConfig({ DATA_DIR: db.dataDir });
    expect(await new SubprocessSandboxProvider({ workdirRoot: join(db.dataDir, 'sandboxes'), instanceId }).check()).toEqual([]);
    expect(isRunning(marker)).toBe(true);

    const events = await waitFor(async () => {
      const list = await listAllEvents(server!.baseURL, sessionId);
      return list.at(-1)?.type === 'session.status_idle' ? list : undefined;
    }, { timeoutMs: 30_000, message: 'the turn did not finish' });
    const result = events.find((e) => e.type === 'agent.tool_result');
    expect(result?.is_error).toBeFalsy();
    expect(JSON.stringify(result?.content)).not.toMatch(/SIGKILL|restart/i);
  }, 90_000);

  it('is released by a clean stop and by kill -9 (the kernel drops the lock with the process)', async () => {
    await server!.kill();
    server = await startChildServer(db);
    expect(readFileSync(join(db.dataDir, 'server.pid'), 'utf8').trim()).toBe(String(server.child.pid));
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(existsSync(join(db.dataDir, 'server.pid'))).toBe(false);
    server = await startChildServer(db);
  }, 60_000);
});
