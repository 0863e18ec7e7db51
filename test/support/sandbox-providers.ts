/**
 * The sandbox providers API tests run under. `subprocess` always; `bwrap` when this machine can run
 * it (a probe at import, as the bwrap contract suite does; CI installs bubblewrap, so there it
 * always runs). `startSandboxTestServer` boots the real server with SANDBOX_PROVIDER set and a data
 * directory the sandbox uids can traverse.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BwrapSandboxProvider } from '../../src/sandbox/bwrap.ts';
import { createTestDatabase, type Backend } from './backends.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export type SandboxProviderName = 'subprocess' | 'bwrap';

async function probeBwrap(): Promise<string | undefined> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'oma-bwrap-probe-'));
  await chmod(base, 0o711);
  try {
    await new BwrapSandboxProvider({ workdirRoot: path.join(base, 'sandboxes') }).check();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

/** Why bwrap cannot run here, or undefined when it can. */
export const BWRAP_UNAVAILABLE = await probeBwrap();
if (BWRAP_UNAVAILABLE) console.warn(`Skipping bwrap API tests: bwrap cannot run here. ${BWRAP_UNAVAILABLE}`);

/** Providers to run API tests under on this machine. */
export const SANDBOX_PROVIDERS: SandboxProviderName[] = BWRAP_UNAVAILABLE ? ['subprocess'] : ['subprocess', 'bwrap'];

/** Every (backend, provider) pair, for `describe.each`. */
export function backendProviderPairs(backends: Backend[]): { backend: Backend; provider: SandboxProviderName }[] {
  return backends.flatMap((backend) => SANDBOX_PROVIDERS.map((provider) => ({ backend, provider })));
}

/** Boots the server on a fresh database with `SANDBOX_PROVIDER=provider`; `stop()` drops the database too. */
export async function startSandboxTestServer(backend: Backend, provider: SandboxProviderName, options: TestServerOptions = {}): Promise<TestServer> {
  const db = await createTestDatabase(backend);
  // mkdtemp makes the data directory 0700; bwrap's session uids must be able to traverse it.
  await chmod(db.dataDir, 0o711);
  try {
    const server = await startTestServer(backend, { ...options, db, env: { ...options.env, SANDBOX_PROVIDER: provider } });
    return {
      ...server,
      async stop() {
        await server.stop();
        await db.drop();
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** The session's working directory as its tools see it. */
export function sessionWorkdir(t: TestServer, provider: SandboxProviderName, sessionId: string): string {
  return provider === 'bwrap' ? '/workspace' : path.join(t.config.sandbox.workdir, sessionId);
}

/** The session's directory on the host. */
export function sessionHostDirectory(t: TestServer, sessionId: string): string {
  return path.join(t.config.sandbox.workdir, sessionId);
}
