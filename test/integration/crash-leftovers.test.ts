/**
 * kill -9 cannot kill the server's subprocess sandboxes (they run in their own process groups):
 * the next boot of the same instance kills what the crash left running, before recovery tells the
 * model the tool may or may not have completed. Another instance's processes are left alone.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { isRunning, startSleepingTurn, uniqueSleep } from '../support/sleeping-turn.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';
import { ScriptedAgent } from '../../scripts/crash-test/scripted-agent.ts';
import { listAllEvents } from '../../scripts/crash-test/api.ts';

describe.each(BACKENDS)('sandbox commands left running by a crash (%s)', (backend) => {
  let fake: FakeModel;
  let db: TestDatabase;
  let server: ChildServer | undefined;
  const marker = uniqueSleep(50);
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(new ScriptedAgent().respond);
    db = await createTestDatabase(backend);
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    try {
      execFileSync('pkill', ['-f', marker]);
    } catch {
      // nothing left, as it should be
    }
    await fake?.close();
    await db?.drop();
  });

  it('are killed at the next boot of the same instance, not by another instance', async () => {
    const env = { ANTHROPIC_BASE_URL: fake.url, INSTANCE_ID: 'leftovers' };
    server = await startChildServer(db, { env });
    const sessionId = await startSleepingTurn(server.baseURL, marker, 'left');

    await server.kill();
    expect(isRunning(marker)).toBe(true); // SIGKILL left the command running

    // Another instance on the same data directory does not touch it.
    const other = new SubprocessSandboxProvider({ workdirRoot: join(db.dataDir, 'sandboxes'), instanceId: 'someone-else' });
    expect(await other.check()).toEqual([]);
    expect(isRunning(marker)).toBe(true);

    server = await startChildServer(db, { env });
    await waitFor(() => !isRunning(marker) || undefined, { timeoutMs: 10_000, message: 'the restarted server did not kill the leftover command' });
    const events = await waitFor(async () => {
      const list = await listAllEvents(server!.baseURL, sessionId);
      return list.at(-1)?.type === 'session.status_idle' ? list : undefined;
    }, { timeoutMs: 20_000, message: 'the interrupted turn did not finish' });
    const result = events.find((e) => e.type === 'agent.tool_result');
    expect(result?.is_error).toBe(true);
    expect(JSON.stringify(result?.content)).toMatch(/restart/i);
  }, 90_000);
});
