/**
 * `SANDBOX_PROVIDER=subprocess` (the default): commands run as child processes of the server, as
 * the server's user, in `<workdirRoot>/<sessionId>/`. The environment is scrubbed and every
 * command runs in its own process group, but there is NO isolation: a command can read anything
 * the server can (its database, its secrets). Use bwrap or a remote provider for untrusted agents.
 */
import { CommandSandbox } from './shared/command-sandbox.ts';
import { MountAliasSandbox } from './shared/mount-alias-sandbox.ts';
import { allMounts } from './shared/mounts.ts';
import { rm } from 'node:fs/promises';
import type { Sandbox } from './sandbox.ts';
import { createSandboxEnvironment } from './shared/environment.ts';
import { ensureSessionDirectory } from './shared/session-directory.ts';
import { DirectorySandboxProvider } from './shared/directory-provider.ts';
import { ProcessLedger } from './shared/process-ledger.ts';
import path from 'node:path';
import { egressEnvironment, type SandboxOpenOptions } from './sandbox.ts';
import { STATE_DIRECTORY_NAME } from './shared/shell-script.ts';
import { DescendantTracker } from './shared/descendants.ts';

export interface SubprocessSandboxOptions {
  /** Host directory holding one directory per session. */
  workdirRoot: string;
  /** PATH inside the sandbox; defaults to a standard system PATH (never the server's). */
  path?: string;
  /**
   * This server instance (INSTANCE_ID). With it, running commands are recorded on disk and a boot
   * after a crash kills the ones the crash left running (see ProcessLedger).
   */
  instanceId?: string;
  /** False: find descendants by the process scan even where cgroups are available (tests). */
  useCgroups?: boolean;
  /** Start each session's next command process ahead of its call (shared/prestart.ts). Default true. */
  prestart?: boolean;
}

/** Commands use the host's network whatever the session's networking says: nothing is isolated. */
export class SubprocessSandboxProvider extends DirectorySandboxProvider {
  readonly name = 'subprocess';

  private readonly ledger: ProcessLedger | undefined;
  /** Every command's descendants, also those that leave its process group (setsid). */
  private readonly descendants: DescendantTracker;

  constructor(private readonly options: SubprocessSandboxOptions) {
    super(options.workdirRoot);
    this.descendants = new DescendantTracker({ useCgroups: options.useCgroups });
    this.ledger = options.instanceId === undefined ? undefined : new ProcessLedger(this.workdirRoot, options.instanceId);
  }

  /**
   * Nothing to verify: bash is all it needs (the registry warns that there is no isolation). Kills
   * commands a crash of this instance left running, before recovery looks at their sessions.
   */
  async check(): Promise<string[]> {
    const killed = this.ledger?.killLeftovers() ?? 0;
    return killed > 0 ? [`killed ${killed} sandbox command(s) that the previous run of this server left running when it stopped without a shutdown`] : [];
  }

  protected async create(sessionId: string, options: SandboxOpenOptions = {}): Promise<Sandbox> {
    const directory = await ensureSessionDirectory({ workdirRoot: this.workdirRoot, sessionId });
    const tmpdir = path.join(directory, STATE_DIRECTORY_NAME, 'tmp');
    const egress = options.egress;
    const egressEnv = egress ? egressEnvironment(egress, { endpoint: { host: egress.proxy.host, port: egress.proxy.port }, caCertPath: egress.caCertPath }) : {};
    // The proxy is the configured way out, not an enforced one: a process here can ignore it.
    const environment = (env: Record<string, string>) => createSandboxEnvironment({ home: directory, tmpdir, path: this.options.path, extra: { ...egressEnv, ...env } });
    const launcher = {
      provider: this.name,
      ledger: this.ledger,
      workdir: directory,
      prestart: this.options.prestart,
      environment,
      createLaunchSpec: async (bashArgs: string[], env: Record<string, string>) => ({
        file: 'bash',
        args: bashArgs,
        env: environment(env),
        cwd: directory,
        descendants: this.descendants.forCommand(),
      }),
    };
    const mounts = allMounts(this.name, sessionId, options);
    const sandbox = new MountAliasSandbox(new CommandSandbox({ sessionId, launcher }), this.mountTree(sessionId), options.memory?.hostRoot);
    await sandbox.applyMounts(mounts);
    return sandbox;
  }

  /** The session's alias tree of mounts (mount-alias-sandbox.ts), outside its directory. */
  private mountTree(sessionId: string): string {
    return path.join(this.workdirRoot, '.mount-tree', sessionId);
  }

  /** Stops every sandbox, then removes this server's emptied cgroups. */
  override async shutdown(): Promise<void> {
    await super.shutdown();
    await this.descendants.dispose();
  }

  override async destroy(sessionId: string): Promise<void> {
    await super.destroy(sessionId);
    await rm(this.mountTree(sessionId), { recursive: true, force: true });
  }
}
