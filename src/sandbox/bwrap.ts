/**
 * `SANDBOX_PROVIDER=bwrap`: each command runs in a bubblewrap sandbox (see bwrap-arguments.ts for
 * what it isolates) as the session's own unprivileged uid, with the session directory at
 * /workspace. Commands get no network, or user-mode networking with the host's addresses blocked
 * when the session's environment allows unrestricted outbound traffic (bwrap-network.ts). It does
 * not limit total memory or disk use of a session.
 */
import { execFile } from 'node:child_process';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SandboxError, egressEnvironment, type SandboxMount, type SandboxOpenOptions } from './sandbox.ts';
import { allMounts, mountVariables } from './shared/mounts.ts';
import { BWRAP_WORKDIR, createBwrapCommand, DEFAULT_BWRAP_LIMITS, type BwrapCommandOptions, type BwrapResourceLimits } from './bwrap-arguments.ts';
import { openEtcSetup, readEtcEntries, withResolvConf, type EtcEntry } from './bwrap-etc.ts';
import { attachProxyForwarder, SANDBOX_CA_PATH, SANDBOX_PROXY_PORT } from './bwrap-proxy-forwarder.ts';
import { allowsOutbound, attachNetwork, prepareNetwork, SANDBOX_INTERFACE, type NetworkBinaries, type NetworkSetup } from './bwrap-network.ts';
import { DEFAULT_UID_RANGE, findExecutable, readHostLayout, type UidRange } from './bwrap-host.ts';
import { MemoryUidLedger, type SessionUidLedger } from './uid-ledger.ts';
import { CommandSandbox } from './shared/command-sandbox.ts';
import { createSandboxEnvironment } from './shared/environment.ts';
import { runProcess, type LaunchSpec } from './shared/run-process.ts';
import { chownTree, ensureSessionDirectory, removeSessionDirectory } from './shared/session-directory.ts';
import { DirectorySandboxProvider } from './shared/directory-provider.ts';
import { createSeccompFilter, seccompArch } from './bwrap-seccomp.ts';
import { FIRST_PASSED_FILE_FD } from './shared/run-process.ts';

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
  /** Who holds which uid of the range; default: in memory (the server passes its database's ledger). */
  uids?: SessionUidLedger;
  /** Extra host paths bound read-only at the same place, e.g. a Node.js install under /opt. */
  readOnlyPaths?: string[];
  /** Size of each command's private /tmp, bytes. Default 256 MiB. */
  tmpfsBytes?: number;
  /** Names or absolute paths of the networking helpers; default: found in the standard PATH. */
  networkHelpers?: Partial<NetworkBinaries>;
  /** Start each session's next sandbox ahead of its call (shared/prestart.ts). Default true. */
  prestart?: boolean;
}

/** What the provider works out once: the command line's fixed part, /etc and networking. */
interface BwrapBase {
  command: Omit<BwrapCommandOptions, 'sessionDirectory' | 'network' | 'etc' | 'mountBinds'>;
  etcEntries: EtcEntry[];
  networkSetup: NetworkSetup;
  /** The seccomp filter file (opened per command and handed to bwrap), when bwrap and the arch allow one. */
  seccompFile: string | undefined;
  /** What the installed bwrap cannot do (for check()'s warnings). */
  missingHardening: string[];
}

/** What one launch needs besides the base: who runs it, where, and with which network. */
interface BwrapLaunch {
  /** The session's outside uid, also its gid; undefined when the server is not root. */
  uid: number | undefined;
  /** Host session directory, bound at /workspace; undefined for the boot probes. */
  sessionDirectory: string | undefined;
  /** Set when this command gets user-mode networking. */
  network: (NetworkSetup & { available: true }) | undefined;
  /** Set instead of `network` when the vault proxy is the command's only way out. */
  egress?: { nsenter: string; socketPath: string; caCertPath: string };
  sessionId: string;
  /** The session's mounts (memory stores, files, skills), bound after /workspace. */
  mountBinds?: BwrapCommandOptions['mountBinds'];
}

const INSTALL_HINT =
  'Install the Debian/Ubuntu package "bubblewrap" (apt-get install bubblewrap; prlimit comes with util-linux). ' +
  'In Docker, run the container with --security-opt seccomp=unconfined (or a seccomp profile that allows user namespaces), ' +
  'and allow unprivileged user namespaces on the host (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0; ' +
  'on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0).';

export class BwrapSandboxProvider extends DirectorySandboxProvider {
  readonly name = 'bwrap';
  private base: Promise<BwrapBase> | undefined;
  private readonly uids: SessionUidLedger;

  constructor(private readonly options: BwrapSandboxOptions) {
    super(options.workdirRoot);
    this.uids = options.uids ?? new MemoryUidLedger(options.uidRange ?? DEFAULT_UID_RANGE);
  }

  /** Deletes the session's directory, then gives its uid back (no process of it is left). */
  override async destroy(sessionId: string): Promise<void> {
    await super.destroy(sessionId);
    if (this.isolatesUsers) await this.uids.release(sessionId);
  }

  /** True when sessions run as their own uid (the server is root); otherwise they share the server's uid. */
  get isolatesUsers(): boolean {
    return process.getuid?.() === 0;
  }

  /**
   * Verifies bwrap and prlimit exist and that a trivial sandbox runs (throws SandboxError),
   * then that a networked one runs; a networking problem is returned as a warning, because
   * sessions without outbound networking still work.
   */
  async check(): Promise<string[]> {
    const base = await this.prepare();
    const uid = this.isolatesUsers ? (this.options.uidRange ?? DEFAULT_UID_RANGE).base : undefined;
    const result = await this.runProbe(base, uid, false);
    if (result.exitCode !== 0) {
      const stderr = result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`;
      throw this.error('check', `bwrap cannot start a sandbox on this machine (${stderr}). ${INSTALL_HINT}`);
    }
    await this.checkWorkdirReachable(base, uid);
    return [...base.missingHardening, ...(await this.checkNetwork(base, uid))];
  }

  protected async create(sessionId: string, options: SandboxOpenOptions): Promise<CommandSandbox> {
    const base = await this.prepare();
    const outbound = allowsOutbound(options.networking);
    if (outbound && !base.networkSetup.available) {
      const message = `This session's environment allows outbound network traffic, but the bwrap sandbox cannot provide it: ${base.networkSetup.problem}`;
      throw new SandboxError({ provider: this.name, operation: 'open', sandboxId: sessionId, message });
    }
    // `limited` gets the proxy path only (the proxy enforces allowed_hosts); without the proxy, no network.
    const limitedViaProxy = options.networking?.type === 'limited' && options.egress?.proxy.socketPath !== undefined;
    const available = (outbound || limitedViaProxy) && base.networkSetup.available ? base.networkSetup : undefined;
    // With the vault proxy, it is the only way out: no user-mode network, a forwarder to the proxy instead.
    const proxy = available && options.egress?.proxy.socketPath ? options.egress : undefined;
    const network = proxy ? undefined : available;
    const egress = proxy && available ? { nsenter: available.binaries.nsenter, socketPath: proxy.proxy.socketPath!, caCertPath: proxy.caCertPath } : undefined;
    const egressEnv = proxy ? egressEnvironment(proxy, { endpoint: { host: '127.0.0.1', port: SANDBOX_PROXY_PORT }, caCertPath: SANDBOX_CA_PATH }) : {};
    const uid = this.isolatesUsers ? await this.uids.uidFor(sessionId).catch((cause: unknown) => {
      throw new SandboxError({ provider: this.name, operation: 'open', sandboxId: sessionId, message: `No sandbox uid for this session: ${(cause as Error).message}`, cause });
    }) : undefined;
    const sessionDirectory = await ensureSessionDirectory({
      workdirRoot: this.workdirRoot,
      sessionId,
      owner: uid === undefined ? undefined : { uid, gid: uid },
      rootMode: 0o711,
    });
    const binds = await prepareMountBinds(allMounts(this.name, sessionId, options), uid);
    const current = { binds, env: {} as Record<string, string>, identity: await bindIdentity(binds) };
    current.env = mountVariables(current.binds.map((b) => ({ hostPath: b.source, sandboxPath: b.target, readOnly: b.readOnly })), (root) => root);
    // The environment is handed to bwrap itself, not set with --setenv: bwrap's argv is
    // visible to every host user in `ps`, and bwrap (pid 1 inside) holds no secret either.
    const environment = (env: Record<string, string>) =>
      createSandboxEnvironment({ home: BWRAP_WORKDIR, tmpdir: '/tmp', path: this.options.path, extra: { ...egressEnv, ...env, ...current.env } });
    const launcher = {
      provider: this.name,
      workdir: BWRAP_WORKDIR,
      prestart: this.options.prestart,
      environment,
      createLaunchSpec: (bashArgs: string[], env: Record<string, string>, launch: { network: boolean }) => {
        const launchOptions = { uid, sessionDirectory, network: launch.network ? network : undefined, egress: launch.network ? egress : undefined, sessionId, mountBinds: current.binds };
        return this.createLaunchSpec(base, launchOptions, { bashArgs, env: environment(env) });
      },
    };
    const sandbox = new CommandSandbox({ sessionId, launcher });
    sandbox.applyMounts = async (mounts: SandboxMount[]) => {
      const binds = await prepareMountBinds(mounts, uid);
      const env = mountVariables(mounts, (root) => root);
      const identity = await bindIdentity(binds);
      const same = identity === current.identity && JSON.stringify(env) === JSON.stringify(current.env);
      Object.assign(current, { binds, env, identity });
      // The sandboxes started ahead have the old binds and variables: they stay only when those are
      // the very same (the harness reapplies a session's mounts at each turn; see bindIdentity).
      if (!same) sandbox.discardPrestarted();
    };
    return sandbox;
  }

  /** Opens the command's /etc copies and builds its launch; the launcher closes the copies. */
  private async createLaunchSpec(base: BwrapBase, launch: BwrapLaunch, command: { bashArgs: string[]; env: Record<string, string> }): Promise<LaunchSpec> {
    const { network, egress } = launch;
    const entries = network ? withResolvConf(base.etcEntries, network.resolvConf) : base.etcEntries;
    const etc = await openEtcSetup(egress ? [...entries, { source: egress.caCertPath, target: SANDBOX_CA_PATH, directory: false, required: true }] : entries);
    const seccomp = base.seccompFile === undefined ? undefined : await open(base.seccompFile, 'r');
    const seccompFd = seccomp && FIRST_PASSED_FILE_FD + etc.copies.length;
    const options = { ...base.command, sessionDirectory: launch.sessionDirectory, network: network !== undefined || egress !== undefined, etc, seccompFd, mountBinds: launch.mountBinds };
    const [file, ...args] = createBwrapCommand(options, command.bashArgs);
    const beforeStart = network
      ? (pid: number) => attachNetwork({ binaries: network.binaries, namespacePid: pid, sessionId: launch.sessionId })
      : egress && ((pid: number) => attachProxyForwarder({ nsenter: egress.nsenter, namespacePid: pid, socketPath: egress.socketPath, sessionId: launch.sessionId }));
    return {
      file,
      args,
      env: command.env,
      cwd: '/',
      uid: launch.uid,
      gid: launch.uid,
      infoFd: true,
      beforeStart: beforeStart || undefined,
      passedFiles: [...etc.copies.map((copy) => copy.handle), ...(seccomp ? [seccomp] : [])],
    };
  }

  private prepare(): Promise<BwrapBase> {
    this.base ??= this.resolveBase();
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  private async resolveBase(): Promise<BwrapBase> {
    const [bwrap, prlimit] = await Promise.all(['bwrap', 'prlimit'].map(findExecutable));
    if (!bwrap || !prlimit) {
      const missing = [!bwrap && 'bwrap', !prlimit && 'prlimit'].filter(Boolean).join(', ');
      throw this.error('check', `The bwrap sandbox needs ${missing}, which is not installed. ${INSTALL_HINT}`);
    }
    const masks = await Promise.all(
      (this.options.hiddenPaths ?? []).map(async (hidden) => {
        const resolved = path.resolve(hidden);
        const stats = await stat(resolved).catch(() => undefined);
        return { path: resolved, directory: stats?.isDirectory() ?? true };
      }),
    );
    const { hardening, seccompFile, missingHardening } = await this.resolveHardening(bwrap);
    return {
      seccompFile,
      missingHardening,
      command: {
        hardening,
        binaries: { bwrap, prlimit },
        limits: { ...DEFAULT_BWRAP_LIMITS, ...this.options.limits },
        layout: await readHostLayout(),
        readOnlyPaths: (this.options.readOnlyPaths ?? []).map((entry) => path.resolve(entry)),
        masks,
        tmpfsBytes: this.options.tmpfsBytes ?? 256 * 1024 * 1024,
      },
      etcEntries: await readEtcEntries(),
      networkSetup: await prepareNetwork({ workdirRoot: this.workdirRoot, helpers: this.options.networkHelpers ?? {}, isRoot: this.isolatesUsers }),
    };
  }

  /**
   * Reads what this bwrap supports (`bwrap --help`): `--disable-userns` came with 0.8.0, `--seccomp`
   * long before. The seccomp filter is written once to the workdir root (server-only, 0600).
   */
  private async resolveHardening(bwrap: string) {
    const help = await promisify(execFile)(bwrap, ['--help']).then((r) => r.stdout, (error: { stdout?: string }) => error.stdout ?? '');
    const hardening = { disableUserns: help.includes('--disable-userns'), seccomp: help.includes('--seccomp') };
    const arch = seccompArch();
    const missingHardening: string[] = [];
    if (!hardening.disableUserns) missingHardening.push('this bwrap has no --disable-userns (bwrap 0.8.0 or later): the seccomp filter alone refuses nested user namespaces');
    if (!hardening.seccomp || !arch) missingHardening.push(`no seccomp filter (${arch ? 'this bwrap has no --seccomp' : `no filter for ${process.arch}`}): mounts, the keyring, eBPF and io_uring stay reachable from the sandbox`);
    let seccompFile: string | undefined;
    if (hardening.seccomp && arch) {
      seccompFile = path.join(this.workdirRoot, `.seccomp-${arch}.bpf`);
      await mkdir(this.workdirRoot, { recursive: true, mode: 0o711 });
      await writeFile(seccompFile, createSeccompFilter(arch), { mode: 0o600 });
    }
    return { hardening: { ...hardening, seccomp: seccompFile !== undefined }, seccompFile, missingHardening };
  }

  /** Runs a probe script with `bash -c` in a sandbox without a session directory, with or without network. */
  private async runProbe(base: BwrapBase, uid: number | undefined, networked: boolean) {
    const network = networked && base.networkSetup.available ? base.networkSetup : undefined;
    const script = network ? `grep -q '^${SANDBOX_INTERFACE}' /proc/net/route` : 'true';
    const launch = { uid, sessionDirectory: undefined, network, sessionId: '.check' };
    const env = createSandboxEnvironment({ home: '/', tmpdir: '/tmp' });
    return runProcess(await this.createLaunchSpec(base, launch, { bashArgs: ['-c', script], env }), { timeoutMs: 30_000, maxOutputBytes: 16 * 1024 });
  }

  private async checkNetwork(base: BwrapBase, uid: number | undefined): Promise<string[]> {
    const consequence = 'Sessions whose environment allows outbound traffic (the default environment does) get an error from every command.';
    if (!base.networkSetup.available) return [`SANDBOX_PROVIDER=bwrap: ${base.networkSetup.problem} ${consequence}`];
    try {
      const result = await this.runProbe(base, uid, true);
      if (result.exitCode === 0) return [];
      return [`SANDBOX_PROVIDER=bwrap: a networked sandbox has no ${SANDBOX_INTERFACE} route (${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}). ${consequence}`];
    } catch (error) {
      return [`SANDBOX_PROVIDER=bwrap: ${(error as Error).message}. ${consequence}`];
    }
  }

  private async checkWorkdirReachable(base: BwrapBase, uid: number | undefined): Promise<void> {
    await ensureSessionDirectory({ workdirRoot: this.workdirRoot, sessionId: '.check', rootMode: 0o711 }).catch((cause) => {
      throw this.error('check', `Cannot create the sandbox workdir root ${this.workdirRoot}.`, cause);
    });
    await removeSessionDirectory(this.workdirRoot, '.check');
    if (uid === undefined) return;
    const result = await runProcess(
      { file: '/usr/bin/test', args: ['-x', this.workdirRoot], env: {}, cwd: '/', uid, gid: uid },
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

/**
 * What a sandbox's mount binds show, as a string to compare: each bind and the device and inode of
 * its source. A sandbox started earlier shows the same thing exactly when these are equal: a bind
 * holds its source's inode (so the number cannot be reused while it exists) and shows its content,
 * owners and modes live; a source replaced at its path (a new inode) or missing makes it differ.
 */
async function bindIdentity(binds: NonNullable<BwrapCommandOptions['mountBinds']>): Promise<string> {
  const stats = await Promise.all(binds.map((bind) => stat(bind.source).then((s) => `${s.dev}:${s.ino}`, () => 'missing')));
  return JSON.stringify(binds.map((bind, index) => [bind.source, bind.target, bind.readOnly, stats[index]]));
}

/**
 * The bind list of a session's mounts, each tree given to the session's uid (prepared for this
 * session alone, see SandboxMount; read-only ones are read-only binds, so owning them lets it
 * read, not write).
 */
async function prepareMountBinds(mounts: SandboxMount[], uid: number | undefined): Promise<NonNullable<BwrapCommandOptions['mountBinds']>> {
  const binds = mounts.map((m) => ({ source: m.hostPath, target: m.sandboxPath, readOnly: m.readOnly }));
  if (uid !== undefined) for (const bind of binds) await chownTree(bind.source, { uid, gid: uid });
  return binds;
}
