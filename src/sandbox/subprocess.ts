/**
 * `SANDBOX_PROVIDER=subprocess` (the default): commands run as child processes of the server, as
 * the server's user, in `<workdirRoot>/<sessionId>/`. The environment is scrubbed and every
 * command runs in its own process group, but there is NO isolation: a command can read anything
 * the server can (its database, its secrets). Use bwrap or a remote provider for untrusted agents.
 */
import { CommandSandbox } from './shared/command-sandbox.ts';
import { createSandboxEnvironment } from './shared/environment.ts';
import { ensureSessionDirectory } from './shared/session-directory.ts';
import { DirectorySandboxProvider } from './shared/directory-provider.ts';
import path from 'node:path';
import { STATE_DIRECTORY_NAME } from './shared/shell-script.ts';

export interface SubprocessSandboxOptions {
  /** Host directory holding one directory per session. */
  workdirRoot: string;
  /** PATH inside the sandbox; defaults to a standard system PATH (never the server's). */
  path?: string;
}

/** Commands use the host's network whatever the session's networking says: nothing is isolated. */
export class SubprocessSandboxProvider extends DirectorySandboxProvider {
  readonly name = 'subprocess';

  constructor(private readonly options: SubprocessSandboxOptions) {
    super(options.workdirRoot);
  }

  /** Nothing to verify: bash is all it needs. The registry warns that there is no isolation. */
  async check(): Promise<string[]> {
    return [];
  }

  protected async create(sessionId: string): Promise<CommandSandbox> {
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
