/**
 * The set-up of the kill -9 / restart tests: the scripted fake model, a fresh database on the
 * backend and a real server process on it, for the enclosing describe block (started in beforeAll,
 * everything stopped and dropped in afterAll). `restart()` SIGKILLs the running process and starts
 * a new one on the same database and DATA_DIR with the same environment; `start()` only starts
 * one, for a test that ended the last process itself (SIGTERM). Read the fields inside hooks and
 * tests: they are set once beforeAll ran.
 */
import { chmodSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type Backend, type TestDatabase } from './backends.ts';
import { startChildServer, type ChildServer } from './child-process.ts';
import { startFakeModel, type FakeModel } from './fake-model/index.ts';

export interface CrashableServerOptions {
  /** The server's environment besides ANTHROPIC_BASE_URL (always the fake model's). */
  env?: Record<string, string>;
  /** Bound on each start's wait for /health (ms); beforeAll gets 30 s more. */
  readyTimeoutMs?: number;
  /** Make DATA_DIR traversable (0711): bwrap's per-session uids must reach the session directories. */
  traversableDataDir?: boolean;
}

export interface CrashableServer {
  readonly fake: FakeModel;
  readonly db: TestDatabase;
  /** The server process started last. */
  readonly server: ChildServer;
  /** An SDK client of the server started last. */
  client(): Anthropic;
  /** Starts a new server process on the same database (the previous one must be gone). */
  start(): Promise<ChildServer>;
  /** kill -9 the running process, then start a new one. */
  restart(): Promise<ChildServer>;
}

export function useCrashableServer(backend: Backend, options: CrashableServerOptions = {}): CrashableServer {
  let fake: FakeModel | undefined;
  let db: TestDatabase | undefined;
  let server: ChildServer | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useCrashableServer: the ${what} is set up in beforeAll; read it inside a hook or test`);
    return value;
  };
  const start = async (): Promise<ChildServer> => {
    server = await startChildServer(ready(db, 'database'), { env: { ANTHROPIC_BASE_URL: ready(fake, 'fake model').url, ...options.env }, readyTimeoutMs: options.readyTimeoutMs });
    return server;
  };
  beforeAll(async () => {
    fake = await startFakeModel();
    db = await createTestDatabase(backend);
    if (options.traversableDataDir) chmodSync(db.dataDir, 0o711);
    await start();
  }, options.readyTimeoutMs === undefined ? undefined : options.readyTimeoutMs + 30_000);
  afterAll(async () => {
    await server?.kill();
    await fake?.close();
    await db?.drop();
  });
  return {
    get fake() {
      return ready(fake, 'fake model');
    },
    get db() {
      return ready(db, 'database');
    },
    get server() {
      return ready(server, 'server');
    },
    client: () => new Anthropic({ apiKey: 'unused', baseURL: ready(server, 'server').baseURL, maxRetries: 0 }),
    start,
    async restart() {
      await ready(server, 'server').kill();
      return start();
    },
  };
}
