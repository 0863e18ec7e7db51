/**
 * Runs the real server as a child process (`node --import tsx src/main.ts`, or the compiled
 * `node dist/main.js` as it ships) on a database of the
 * given test backend, so tests can SIGKILL it and start it again on the same data. Auth is off
 * (every request is tenant "default"); the port is picked up front because PORT=0 would have to
 * be read back from the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from './backends.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A port that was free a moment ago (a throwaway listener on port 0, closed at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  baseURL: string;
  port: number;
  child: ChildProcess;
  /** Everything the child wrote to stdout/stderr (for failure messages). */
  output(): string;
  /** SIGKILL, then wait for the process to be gone. */
  kill(): Promise<void>;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildServerOptions {
  env?: Record<string, string>;
  /** Bound on waiting for /health (ms). */
  readyTimeoutMs?: number;
  /** Listen on this port (e.g. the one of a killed predecessor, so clients keep their URL); default: a free one. */
  port?: number;
  /** Another DATA_DIR than the database's (one server per DATA_DIR; see siblingDataDir). */
  dataDir?: string;
  /** Node options before the entry point (after `--import tsx` when running sources), e.g. the bench's `--expose-gc` and its GC preload. */
  nodeArgs?: string[];
  /** Run the compiled server (dist/main.js, which the caller has built: scripts/server-build.ts) in plain node instead of src/ through tsx. */
  built?: boolean;
}

/**
 * A second DATA_DIR for another instance on the same database, inside the first one (so `drop()`
 * removes it), with the first one's secrets copied in: instances of one installation share them.
 */
export function siblingDataDir(db: TestDatabase, name: string): string {
  const dir = join(db.dataDir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const secret of ['.better-auth-secret', '.platform-root-secret']) {
    if (existsSync(join(db.dataDir, secret))) copyFileSync(join(db.dataDir, secret), join(dir, secret));
  }
  return dir;
}

export async function startChildServer(db: TestDatabase, options: ChildServerOptions = {}): Promise<ChildServer> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH_DISABLED: '1',
    DATA_DIR: options.dataDir ?? db.dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ANTHROPIC_API_KEY: 'sk-test-key',
    // Model cards point at loopback fakes; a real deployment lists only its local model servers.
    MODEL_CARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    ...options.env,
  };
  if (db.database.kind === 'postgres') env.DATABASE_URL = db.database.url;
  else env.DATABASE_PATH = db.database.path;
  // tsx first, so preloads written in TypeScript load through it.
  const args = options.built ? [...(options.nodeArgs ?? []), 'dist/main.js'] : ['--import', 'tsx', ...(options.nodeArgs ?? []), 'src/main.ts'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (b: Buffer) => {
    output += b.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const baseURL = `http://127.0.0.1:${port}`;
  const server: ChildServer = {
    baseURL,
    port,
    child,
    output: () => output,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
    try {
      const r = await fetch(`${baseURL}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok && ((await r.json()) as { status?: string }).status === 'ok') return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.kill();
      throw new Error(`server not healthy within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
