/**
 * `SANDBOX_PROVIDER=subprocess` (the default): commands run as child processes of the server, as
 * the server's user, in `<workdirRoot>/<sessionId>/`. The environment is scrubbed and every
 * command runs in its own process group, but there is NO isolation: a command can read anything
 * the server can (its database, its secrets). Use bwrap or a remote provider for untrusted agents.
 */
import type { Sandbox, SandboxOpenOptions, SandboxProvider } from './sandbox.ts';
import { CommandSandbox } from './shared/command-sandbox.ts';
import { createSandboxEnvironment } from './shared/environment.ts';
import { assertSessionId } from './shared/session-id.ts';
import { ensureSessionDirectory, removeSessionDirectory } from './shared/session-directory.ts';
import { SessionSandboxes } from './shared/session-sandboxes.ts';
import path from 'node:path';
import { STATE_DIRECTORY_NAME } from './shared/shell-script.ts';

export interface SubprocessSandboxOptions {
  /** Host directory holding one directory per session. */
  workdirRoot: string;
  /** PATH inside the sandbox; defaults to a standard system PATH (never the server's). */
  path?: string;
}

export class SubprocessSandboxProvider implements SandboxProvider {
  readonly name = 'subprocess';
  private readonly workdirRoot: string;
  private readonly sandboxes: SessionSandboxes;

  constructor(private readonly options: SubprocessSandboxOptions) {
    this.workdirRoot = path.resolve(options.workdirRoot);
    this.sandboxes = new SessionSandboxes((sessionId) => this.create(sessionId));
  }

  /** Nothing to verify: bash is all it needs. The registry warns that there is no isolation. */
  async check(): Promise<string[]> {
    return [];
  }

  /**
   * Commands use the host's network whatever `options.networking` says: this provider isolates
   * nothing (the registry's boot warning says so).
   */
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

  private async create(sessionId: string): Promise<CommandSandbox> {
    const directory = await ensureSessionDirectory({ workdirRoot: this.workdirRoot, sessionId });
    const tmpdir = path.join(directory, STATE_DIRECTORY_NAME, 'tmp');
    const launcher = {
      provider: this.name,
      workdir: directory,
      createLaunchSpec: async (bashArgs: string[], env: Record<string, string>) => ({
        file: 'bash',
        args: bashArgs,
        env: createSandboxEnvironment({ home: directory, tmpdir, path: this.options.path, extra: env }),
        cwd: directory,
      }),
    };
    return new CommandSandbox({ sessionId, launcher });
  }
}
