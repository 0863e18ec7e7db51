/**
 * The command line of one bwrap sandbox: `prlimit` (resource limits) → `setpriv` (the session's
 * unprivileged uid) → `bwrap` (namespaces and mounts) → `bash`. Security boundaries, in order:
 * - Limits are set before dropping root, as hard limits, so the sandbox cannot raise them.
 * - The uid outside is not root: the kernel does not apply RLIMIT_NPROC to root, and a fork bomb
 *   counts against its own uid only (one uid per session).
 * - Mounts: only /usr (plus the merged-/usr symlinks), a short list of /etc files, a private
 *   /proc, /dev and /tmp, and the session directory at /workspace. Nothing else of the host, in
 *   particular not the workdir root or the server's data directory, exists inside.
 * - `--unshare-all` without `--share-net`: a fresh network namespace with only its own loopback.
 *   A networked command first runs a gate (NETWORK_GATE_SCRIPT) that waits until bwrap-network.ts
 *   has attached user-mode networking to that namespace, and sees a resolv.conf naming slirp's DNS.
 */
import path from 'node:path';

/** Resource limits of every process in a bwrap sandbox (per process, except `processes`). */
export interface BwrapResourceLimits {
  /** RLIMIT_NPROC: processes and threads of the session's uid. */
  processes: number;
  /** RLIMIT_AS: virtual memory per process, bytes. */
  addressSpaceBytes: number;
  /** RLIMIT_FSIZE: largest file a process may write, bytes. */
  fileSizeBytes: number;
  /** RLIMIT_CPU: CPU seconds per process. */
  cpuSeconds: number;
  /** RLIMIT_NOFILE: open files per process. */
  openFiles: number;
}

export const DEFAULT_BWRAP_LIMITS: BwrapResourceLimits = {
  processes: 256,
  addressSpaceBytes: 8 * 1024 ** 3,
  fileSizeBytes: 1024 ** 3,
  cpuSeconds: 600,
  openFiles: 1024,
};

/** Where the session directory appears inside the sandbox. */
export const BWRAP_WORKDIR = '/workspace';

/** Host /etc entries the sandbox may see (read-only); everything else in /etc is absent. */
const ETC_ENTRIES = [
  'alternatives', 'bash.bashrc', 'ca-certificates', 'ca-certificates.conf', 'debian_version', 'group',
  'host.conf', 'hostname', 'hosts', 'inputrc', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime',
  'mime.types', 'nsswitch.conf', 'os-release', 'passwd', 'profile', 'protocols', 'resolv.conf', 'services',
  'ssl', 'timezone', 'gitconfig', 'magic', 'perl', 'python3', 'terminfo',
];

export interface BwrapHostLayout {
  /** Top-level entries that are symlinks on the host (merged /usr): name → link target. */
  symlinks: Record<string, string>;
  /** Top-level library/binary directories that are real directories on the host. */
  directories: string[];
}

export interface BwrapCommandOptions {
  binaries: { prlimit: string; setpriv: string; bwrap: string };
  /** The session's uid/gid outside the sandbox; undefined when the server is not root. */
  uid: number | undefined;
  limits: BwrapResourceLimits;
  layout: BwrapHostLayout;
  /** Host session directory, bound at /workspace; undefined for the prerequisite check. */
  sessionDirectory: string | undefined;
  /** Extra host paths bound read-only at the same place. */
  readOnlyPaths: string[];
  /** Host paths to hide if any bound tree contains them, with whether each is a directory. */
  masks: { path: string; directory: boolean }[];
  tmpfsBytes: number;
  /** Set for a command that gets user-mode networking: the host file bound at /etc/resolv.conf. */
  network?: { resolvConf: string };
}

/**
 * The gate of a networked command, run by bash inside the sandbox before the command itself: it
 * tells the host it is ready (one byte on fd 4), waits for the host's byte on fd 4 (the network is
 * attached), closes fd 4 and becomes the real command. Attaching only once the sandbox runs avoids
 * racing bwrap's own network setup (its loopback configuration fails if slirp4netns configures the
 * namespace at the same time), and the agent's command never sees fd 4.
 */
export const NETWORK_GATE_SCRIPT = 'printf r >&4 || exit 125; IFS= read -r -n 1 -u 4 _ || exit 125; exec 4>&-; exec /bin/bash "$@"';

/**
 * Returns `[file, ...args]` that runs `bash <bashArgs>` in the sandbox (info JSON on fd 3; for a
 * networked command, the gate on fd 4).
 */
export function createBwrapCommand(options: BwrapCommandOptions, bashArgs: string[]): string[] {
  const command = options.network ? ['-c', NETWORK_GATE_SCRIPT, 'oma-network-gate', ...bashArgs] : bashArgs;
  return [...createLimitPrefix(options), ...createUserPrefix(options), options.binaries.bwrap,
    ...createBwrapArguments(options), '/bin/bash', ...command];
}

function createLimitPrefix(options: BwrapCommandOptions): string[] {
  const { limits } = options;
  return [
    options.binaries.prlimit,
    `--nproc=${limits.processes}`,
    `--as=${limits.addressSpaceBytes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--cpu=${limits.cpuSeconds}`,
    `--nofile=${limits.openFiles}`,
    `--core=0`,
  ];
}

function createUserPrefix(options: BwrapCommandOptions): string[] {
  if (options.uid === undefined) return [];
  return [options.binaries.setpriv, `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', '--no-new-privs'];
}

function createBwrapArguments(options: BwrapCommandOptions): string[] {
  // --as-pid-1: bash itself is the namespace init. Without it, bwrap's own init process is left
  // as a zombie when the outer bwrap exits, and a container's pid 1 often never reaps it; each
  // zombie would also count against the session's process limit.
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--as-pid-1', '--info-fd', '3', '--hostname', 'sandbox'];
  args.push('--ro-bind', '/usr', '/usr');
  for (const [name, target] of Object.entries(options.layout.symlinks)) args.push('--symlink', target, `/${name}`);
  for (const name of options.layout.directories) args.push('--ro-bind', `/${name}`, `/${name}`);
  for (const entry of ETC_ENTRIES) {
    if (options.network && entry === 'resolv.conf') args.push('--ro-bind', options.network.resolvConf, '/etc/resolv.conf');
    else args.push('--ro-bind-try', `/etc/${entry}`, `/etc/${entry}`);
  }
  for (const extra of options.readOnlyPaths) args.push('--ro-bind-try', extra, extra);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(options.tmpfsBytes), '--tmpfs', '/tmp');
  if (options.sessionDirectory !== undefined) {
    args.push('--bind', options.sessionDirectory, BWRAP_WORKDIR, '--chdir', BWRAP_WORKDIR);
  }
  args.push(...createMaskArguments(options));
  return args;
}

/** Hides `hiddenPaths` that fall inside a bound tree (e.g. a data dir under /usr/local). */
function createMaskArguments(options: BwrapCommandOptions): string[] {
  const bound = ['/usr', ...options.layout.directories.map((name) => `/${name}`), ...options.readOnlyPaths];
  const args: string[] = [];
  for (const mask of options.masks) {
    const inside = bound.find((root) => isInside(mask.path, root));
    if (inside !== undefined) args.push(...(mask.directory ? ['--tmpfs', mask.path] : ['--ro-bind', '/dev/null', mask.path]));
    if (options.sessionDirectory !== undefined && isInside(mask.path, options.sessionDirectory)) {
      const target = path.posix.join(BWRAP_WORKDIR, path.relative(options.sessionDirectory, mask.path));
      args.push(...(mask.directory ? ['--tmpfs', target] : ['--ro-bind', '/dev/null', target]));
    }
  }
  return args;
}

function isInside(candidate: string, root: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
