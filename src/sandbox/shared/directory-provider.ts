/**
 * What every provider that keeps one host directory per session shares: the live sandboxes by
 * session, and open / stop / destroy / shutdown over them. Subclasses say how a sandbox is created
 * and what the host must offer (`check`).
 */
import path from 'node:path';
import type { Sandbox, SandboxOpenOptions, SandboxProvider } from '../sandbox.ts';
import { assertSessionId } from './session-id.ts';
import { removeSessionDirectory } from './session-directory.ts';
import { SessionSandboxes } from './session-sandboxes.ts';
import { allMounts } from './mounts.ts';

export abstract class DirectorySandboxProvider implements SandboxProvider {
  abstract readonly name: string;
  protected readonly workdirRoot: string;
  private readonly sandboxes: SessionSandboxes;

  constructor(workdirRoot: string) {
    this.workdirRoot = path.resolve(workdirRoot);
    this.sandboxes = new SessionSandboxes((sessionId, options) => this.create(sessionId, options), (sessionId, options) => allMounts(this.name, sessionId, options));
  }

  abstract check(): Promise<string[]>;

  /** Creates the session's sandbox; called once per session until it is stopped or destroyed. */
  protected abstract create(sessionId: string, options: SandboxOpenOptions): Promise<Sandbox>;

  async open(sessionId: string, options: SandboxOpenOptions = {}): Promise<Sandbox> {
    assertSessionId(this.name, sessionId);
    return this.sandboxes.open(sessionId, options);
  }

  async stop(sessionId: string): Promise<void> {
    await this.sandboxes.stop(sessionId);
  }

  async destroy(sessionId: string): Promise<void> {
    assertSessionId(this.name, sessionId);
    await this.sandboxes.forget(sessionId);
    await removeSessionDirectory(this.workdirRoot, sessionId);
  }

  async shutdown(): Promise<void> {
    await this.sandboxes.stopAll();
  }
}
