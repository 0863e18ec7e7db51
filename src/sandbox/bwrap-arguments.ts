/**
 * The command line of one bwrap sandbox: `prlimit` (resource limits) → `bwrap` (namespaces and
 * mounts) → `bash`, started as the session's unprivileged uid (`LaunchSpec.uid`). Security
 * boundaries, in order:
 * - The uid outside is not root: the kernel does not apply RLIMIT_NPROC to root, and a fork bomb
 *   counts against its own uid only (one uid per session). The launcher drops to it before exec
 *   (setgroups([]), setgid, setuid); bwrap sets no_new_privs itself.
 * - Limits are hard limits, set before bwrap starts, so the sandbox cannot raise them.
 * - Mounts: only /usr (plus the merged-/usr symlinks), a short list of /etc entries (bwrap-etc.ts),
 *   a private /proc, /dev and /tmp, the session directory at /workspace, and the session's mounts
 *   (memory stores, files, skills: SandboxMount, after /workspace, parents first). Nothing else of the
 *   host, in particular not the workdir root or the server's data directory, exists inside. The
 *   root itself is remounted read-only once set up.
 * - `--disable-userns` and a seccomp filter (bwrap-seccomp.ts): no nested user namespaces, no mounts,
 *   keyring, eBPF, io_uring, module loading and the like, whatever the process inside tries.
 * - `--unshare-all` without `--share-net`: a fresh network namespace with only its own loopback.
 *   A networked command first runs a gate (NETWORK_GATE_SCRIPT) that waits until bwrap-network.ts
 *   has attached user-mode networking to that namespace, and sees a resolv.conf naming slirp's DNS.
 * - `--new-session` although the launcher already has a session of its own without a terminal
 *   (runProcess spawns detached): it also keeps the sandbox out of bwrap's process group, so
 *   `kill -STOP 0` inside cannot stop bwrap outside (which would hang the command past its
 *   timeout). It costs 1–2 ms per command on a 2-core VM, and stays.
 */
import path from 'node:path';
import type { EtcSetup } from './bwrap-etc.ts';
import { FIRST_PASSED_FILE_FD, GATE_FD, INFO_FD } from './shared/run-process.ts';

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

export interface BwrapHostLayout {
  /** Top-level entries that are symlinks on the host (merged /usr): name → link target. */
  symlinks: Record<string, string>;
  /** Top-level library/binary directories that are real directories on the host. */
  directories: string[];
}

export interface BwrapCommandOptions {
  binaries: { prlimit: string; bwrap: string };
  limits: BwrapResourceLimits;
  layout: BwrapHostLayout;
  /** Host session directory, bound at /workspace; undefined for the prerequisite check. */
  sessionDirectory: string | undefined;
  /** Extra host paths bound read-only at the same place. */
  readOnlyPaths: string[];
  /** The session's mounts (SandboxMount), parents first: host source → sandbox target, read-only or not. */
  mountBinds?: { source: string; target: string; readOnly: boolean }[];
  /** Host paths to hide if any bound tree contains them, with whether each is a directory. */
  masks: { path: string; directory: boolean }[];
  tmpfsBytes: number;
  /** The command's /etc (bwrap-etc.ts); its copies are passed from fd FIRST_PASSED_FILE_FD on, in order. */
  etc: Omit<EtcSetup, 'copies'> & { copies: { target: string }[] };
  /** Set for a command that gets user-mode networking (its gate on fd GATE_FD). */
  network?: boolean;
  /** What this bwrap supports beyond the basics (bwrap --help): nested user namespaces off, and the seccomp filter. */
  hardening?: { disableUserns: boolean; seccomp: boolean };
  /** The fd carrying the seccomp filter (bwrap-seccomp.ts), passed after the /etc copies. */
  seccompFd?: number;
}

/**
 * The gate of a networked command, run by bash inside the sandbox before the command itself: it
 * tells the host it is ready (one byte on fd GATE_FD), waits for the host's byte on that fd (the
 * network is attached), closes it and becomes the real command. Attaching only once the sandbox
 * runs avoids racing bwrap's own network setup (its loopback configuration fails if slirp4netns
 * configures the namespace at the same time), and the agent's command never sees the gate.
 */
export const NETWORK_GATE_SCRIPT =
  `printf r >&${GATE_FD} || exit 125; IFS= read -r -n 1 -u ${GATE_FD} _ || exit 125; exec ${GATE_FD}>&-; exec /bin/bash "$@"`;

/**
 * Returns `[file, ...args]` that runs `bash <bashArgs>` in the sandbox (info JSON on fd INFO_FD;
 * for a networked command, the gate on fd GATE_FD).
 */
export function createBwrapCommand(options: BwrapCommandOptions, bashArgs: string[]): string[] {
  const command = options.network ? ['-c', NETWORK_GATE_SCRIPT, 'oma-network-gate', ...bashArgs] : bashArgs;
  return [...createLimitPrefix(options), options.binaries.bwrap, ...createBwrapArguments(options), '/bin/bash', ...command];
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

function createBwrapArguments(options: BwrapCommandOptions): string[] {
  // --as-pid-1: bash itself is the namespace init. Without it, bwrap's own init process is left
  // as a zombie when the outer bwrap exits, and a container's pid 1 often never reaps it; each
  // zombie would also count against the session's process limit.
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--as-pid-1', '--info-fd', String(INFO_FD), '--hostname', 'sandbox'];
  // No nested user namespaces inside (`unshare -Ur` gave uid 0 over the sandbox's own mounts); bwrap
  // 0.8+ sets user.max_user_namespaces=0 in the sandbox's namespace. It needs an explicit user namespace.
  if (options.hardening?.disableUserns) args.push('--unshare-user', '--disable-userns');
  if (options.seccompFd !== undefined) args.push('--seccomp', String(options.seccompFd));
  args.push('--ro-bind', '/usr', '/usr');
  for (const [name, target] of Object.entries(options.layout.symlinks)) args.push('--symlink', target, `/${name}`);
  for (const name of options.layout.directories) args.push('--ro-bind', `/${name}`, `/${name}`);
  options.etc.copies.forEach((copy, index) => args.push('--perms', '0444', '--file', String(FIRST_PASSED_FILE_FD + index), copy.target));
  for (const bind of options.etc.binds) args.push(bind.required ? '--ro-bind' : '--ro-bind-try', bind.source, bind.target);
  for (const extra of options.readOnlyPaths) args.push('--ro-bind-try', extra, extra);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(options.tmpfsBytes), '--tmpfs', '/tmp');
  if (options.sessionDirectory !== undefined) {
    args.push('--bind', options.sessionDirectory, BWRAP_WORKDIR, '--chdir', BWRAP_WORKDIR);
  }
  // Their own mounts, so they keep their modes after the root is remounted read-only below.
  for (const bind of options.mountBinds ?? []) args.push(bind.readOnly ? '--ro-bind' : '--bind', bind.source, bind.target);
  args.push(...createMaskArguments(options));
  // Last: the root tmpfs (and the /etc copies on it) becomes read-only; /tmp, /workspace, /dev and
  // /proc are mounts of their own and keep their modes.
  args.push('--remount-ro', '/');
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
