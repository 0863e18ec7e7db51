/**
 * `SANDBOX_PROVIDER=bwrap`: each command runs in a bubblewrap sandbox (see bwrap-arguments.ts for
 * what it isolates) as the session's own unprivileged uid, with the session directory at
 * /workspace. It does not limit total memory or disk use of a session, and has no network at all
 * (user-mode networking is not supported yet).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError, type Sandbox, type SandboxProvider } from './sandbox.ts';
import { BWRAP_WORKDIR, createBwrapCommand, DEFAULT_BWRAP_LIMITS, type BwrapCommandOptions, type BwrapResourceLimits } from './bwrap-arguments.ts';
import { DEFAULT_UID_RANGE, findExecutable, readHostLayout, sessionUid, type UidRange } from './bwrap-host.ts';
import { CommandSandbox } from './shared/command-sandbox.ts';
import { createSandboxEnvironment } from './shared/environment.ts';
import { runProcess } from './shared/run-process.ts';
import { assertSessionId } from './shared/session-id.ts';
import { ensureSessionDirectory, removeSessionDirectory } from './shared/session-directory.ts';
import { SessionSandboxes } from './shared/session-sandboxes.ts';

export interface BwrapSandboxOptions {
  /** Host directory holding one directory per session. Its parents must be searchable by others (o+x). */
  workdirRoot: string;
  /** Host paths that must never be visible inside (data dir, database, secrets); masked if a bound tree contains them. */
  hiddenPaths?: string[];
  /** PATH inside the sandbox. */
  path?: string;
  limits?: Partial<BwrapResourceLimits>;
  /** Outside uids for sessions (only used when the server runs as root). */
  uidRange?: UidRange;
  /** Extra host paths bound read-only at the same place, e.g. a Node.js install under /opt. */
  readOnlyPaths?: string[];
  /** Size of each command's private /tmp, bytes. Default 256 MiB. */
  tmpfsBytes?: number;
}

const INSTALL_HINT =
  'Install the Debian/Ubuntu package "bubblewrap" (apt-get install bubblewrap; setpriv and prlimit come with util-linux). ' +
  'In Docker, run the container with --security-opt seccomp=unconfined (or a seccomp profile that allows user namespaces), ' +
  'and allow unprivileged user namespaces on the host (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0; ' +
  'on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0).';

export class BwrapSandboxProvider implements SandboxProvider {
  readonly name = 'bwrap';
  private readonly workdirRoot: string;
  private readonly sandboxes: SessionSandboxes;
  private base: Promise<Omit<BwrapCommandOptions, 'uid' | 'sessionDirectory'>> | undefined;

  constructor(private readonly options: BwrapSandboxOptions) {
    this.workdirRoot = path.resolve(options.workdirRoot);
    this.sandboxes = new SessionSandboxes((sessionId) => this.create(sessionId));
  }

  /** True when sessions run as their own uid (the server is root); otherwise they share the server's uid. */
  get isolatesUsers(): boolean {
    return process.getuid?.() === 0;
  }

  /** Verifies bwrap, setpriv and prlimit exist and that a trivial sandbox runs. Throws SandboxError. */
  async check(): Promise<void> {
    const base = await this.prepare();
    const uid = this.isolatesUsers ? (this.options.uidRange ?? DEFAULT_UID_RANGE).base : undefined;
    const [file, ...args] = createBwrapCommand({ ...base, uid, sessionDirectory: undefined }, ['-c', 'true']);
    const result = await runProcess({ file, args, env: createSandboxEnvironment({ home: '/', tmpdir: '/tmp' }), cwd: '/', infoFd: true }, {
      timeoutMs: 30_000,
      maxOutputBytes: 16 * 1024,
    });
    if (result.exitCode !== 0) {
      const stderr = result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`;
      throw this.error('check', `bwrap cannot start a sandbox on this machine (${stderr}). ${INSTALL_HINT}`);
    }
    await this.checkWorkdirReachable(base, uid);
  }

  async open(sessionId: string): Promise<Sandbox> {
    assertSessionId(this.name, sessionId);
    return this.sandboxes.open(sessionId);
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
    const base = await this.prepare();
    const uid = this.isolatesUsers ? sessionUid(sessionId, this.options.uidRange ?? DEFAULT_UID_RANGE) : undefined;
    const sessionDirectory = await ensureSessionDirectory({
      workdirRoot: this.workdirRoot,
      sessionId,
      owner: uid === undefined ? undefined : { uid, gid: uid },
      rootMode: 0o711,
    });
    const command: BwrapCommandOptions = { ...base, uid, sessionDirectory };
    const launcher = {
      provider: this.name,
      workdir: BWRAP_WORKDIR,
      createLaunchSpec: (bashArgs: string[], env: Record<string, string>) => {
        const [file, ...args] = createBwrapCommand(command, bashArgs);
        // The environment is handed to bwrap itself, not set with --setenv: bwrap's argv is
        // visible to every host user in `ps`, and bwrap (pid 1 inside) holds no secret either.
        const childEnv = createSandboxEnvironment({ home: BWRAP_WORKDIR, tmpdir: '/tmp', path: this.options.path, extra: env });
        return { file, args, env: childEnv, cwd: '/', infoFd: true };
      },
    };
    return new CommandSandbox({ sessionId, launcher });
  }

  private prepare(): Promise<Omit<BwrapCommandOptions, 'uid' | 'sessionDirectory'>> {
    this.base ??= this.resolveBase();
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  private async resolveBase(): Promise<Omit<BwrapCommandOptions, 'uid' | 'sessionDirectory'>> {
    const [bwrap, setpriv, prlimit] = await Promise.all(['bwrap', 'setpriv', 'prlimit'].map(findExecutable));
    if (!bwrap || !setpriv || !prlimit) {
      const missing = [!bwrap && 'bwrap', !setpriv && 'setpriv', !prlimit && 'prlimit'].filter(Boolean).join(', ');
      throw this.error('check', `The bwrap sandbox needs ${missing}, which is not installed. ${INSTALL_HINT}`);
    }
    const masks = await Promise.all(
      (this.options.hiddenPaths ?? []).map(async (hidden) => {
        const resolved = path.resolve(hidden);
        const stats = await stat(resolved).catch(() => undefined);
        return { path: resolved, directory: stats?.isDirectory() ?? true };
      }),
    );
    return {
      binaries: { bwrap, setpriv, prlimit },
      limits: { ...DEFAULT_BWRAP_LIMITS, ...this.options.limits },
      layout: await readHostLayout(),
      readOnlyPaths: (this.options.readOnlyPaths ?? []).map((entry) => path.resolve(entry)),
      masks,
      tmpfsBytes: this.options.tmpfsBytes ?? 256 * 1024 * 1024,
    };
  }

  private async checkWorkdirReachable(base: Omit<BwrapCommandOptions, 'uid' | 'sessionDirectory'>, uid: number | undefined): Promise<void> {
    await ensureSessionDirectory({ workdirRoot: this.workdirRoot, sessionId: '.check', rootMode: 0o711 }).catch((cause) => {
      throw this.error('check', `Cannot create the sandbox workdir root ${this.workdirRoot}.`, cause);
    });
    await removeSessionDirectory(this.workdirRoot, '.check');
    if (uid === undefined) return;
    const user = [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
    const result = await runProcess(
      { file: base.binaries.setpriv, args: [...user, '/usr/bin/test', '-x', this.workdirRoot], env: {}, cwd: '/' },
      { timeoutMs: 10_000, maxOutputBytes: 1024 },
    );
    if (result.exitCode !== 0) {
      throw this.error('check', `Sandbox uids cannot reach the workdir root ${this.workdirRoot}: each of its parent directories must be searchable by others (chmod o+x).`);
    }
  }

  private error(operation: string, message: string, cause?: unknown): SandboxError {
    return new SandboxError({ provider: this.name, operation, message, cause });
  }
}
