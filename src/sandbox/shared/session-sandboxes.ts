/** The open sandboxes of one provider, by session id: open once, stop, destroy, shut down. */
import type { Sandbox, SandboxMount, SandboxOpenOptions } from '../sandbox.ts';

export class SessionSandboxes {
  private readonly sandboxes = new Map<string, Promise<Sandbox>>();

  constructor(
    private readonly create: (sessionId: string, options: SandboxOpenOptions) => Promise<Sandbox>,
    private readonly mountsOf: (sessionId: string, options: SandboxOpenOptions) => SandboxMount[],
  ) {}

  /**
   * Returns the session's sandbox, creating it once even under concurrent calls (the first call's
   * options win, but for the mounts: a sandbox already open gets this call's through `applyMounts`).
   */
  async open(sessionId: string, options: SandboxOpenOptions = {}): Promise<Sandbox> {
    const existing = this.sandboxes.get(sessionId);
    if (existing) {
      const sandbox = await existing;
      await sandbox.applyMounts?.(this.mountsOf(sessionId, options));
      return sandbox;
    }
    const sandbox = this.create(sessionId, options);
    this.sandboxes.set(sessionId, sandbox);
    sandbox.catch(() => this.sandboxes.delete(sessionId));
    return sandbox;
  }

  /** Kills the session's processes; the sandbox stays usable. */
  async stop(sessionId: string): Promise<void> {
    // A sandbox that failed to open has no processes to stop; its error went to the opener.
    const sandbox = await this.sandboxes.get(sessionId)?.catch(() => undefined);
    await sandbox?.stop();
  }

  /** Kills the session's processes and forgets the sandbox (the caller removes its directory). */
  async forget(sessionId: string): Promise<void> {
    await this.stop(sessionId);
    this.sandboxes.delete(sessionId);
  }

  /** Kills every process of every sandbox. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.sandboxes.keys()].map((sessionId) => this.stop(sessionId)));
  }
}
