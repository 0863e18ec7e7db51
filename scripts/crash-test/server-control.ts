/**
 * The server process under test: started, SIGKILLed and started again on the same database and
 * port (so clients keep their URL). `ready` resolves while a server is up; clients await it before
 * each request and again after a request failed because the process died.
 */
import { freePort, startChildServer, type ChildServer } from '../../test/support/child-process.ts';
import type { TestDatabase } from '../../test/support/backends.ts';

export class ServerControl {
  private server: ChildServer | undefined;
  private port = 0;
  private readyPromise!: Promise<void>;
  private resolveReady!: () => void;
  /** Incremented on every start; lets a client tell "the server I talked to died" from "still up". */
  generation = 0;

  constructor(private readonly db: TestDatabase, private readonly env: Record<string, string>) {
    this.resetReady();
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Resolves when a server is up (at once if one is). */
  get ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Captured output of the current process (for failure reports). */
  output(): string {
    return this.server?.output() ?? '';
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('crash-test: server already running');
    if (this.port === 0) this.port = await freePort();
    this.server = await startChildServer(this.db, { env: this.env, port: this.port, readyTimeoutMs: 60_000 });
    this.generation++;
    this.resolveReady();
  }

  /** SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill. */
  async kill(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.resetReady();
    await server.kill();
  }

  /** SIGTERM, for the end of a run; falls back to SIGKILL after `timeoutMs`. Returns how it exited. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    const server = this.server;
    if (!server) return undefined;
    this.server = undefined;
    this.resetReady();
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => void server.kill(), timeoutMs);
    const exit = await server.exited;
    clearTimeout(timer);
    return exit;
  }

  private resetReady(): void {
    this.readyPromise = new Promise((resolve) => (this.resolveReady = resolve));
  }
}
