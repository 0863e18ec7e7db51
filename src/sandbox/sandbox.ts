/**
 * The sandbox port: where an agent's tools run. One sandbox per session, created on first use
 * and resumed after a restart (its directory survives). Providers (subprocess, bwrap, later remote
 * ones) implement `SandboxProvider`; the harness and the tools only ever see these interfaces.
 */

/** Options for one command. */
export interface ExecOptions {
  /** Kill the whole process tree after this many milliseconds. Default: provider default (120 s). */
  timeoutMs?: number;
  /** Aborting kills the whole process tree at once. */
  signal?: AbortSignal;
  /** Keep at most this many bytes of stdout+stderr; the rest is counted in `truncatedBytes`. Default 100 KiB. */
  maxOutputBytes?: number;
  /** Extra variables for this command only (on top of the scrubbed base environment). */
  env?: Record<string, string>;
  /** Working directory inside the sandbox, absolute or relative to the workdir. Default: the workdir. */
  cwd?: string;
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
}

/** What a finished (or killed) command left behind. */
export interface ExecResult {
  /** Exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  /** The signal that ended the process, if any (e.g. "SIGKILL"). */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** True when the command was killed because it ran past `timeoutMs`. */
  timedOut: boolean;
  /** True when the command was killed because `signal` was aborted. */
  aborted: boolean;
  /** Number of output bytes dropped beyond `maxOutputBytes` (0 when nothing was cut). */
  truncatedBytes: number;
}

/** Result of one call of the persistent shell (`Sandbox.shell`). */
export interface ShellResult extends ExecResult {
  /** Working directory the shell is in after the command (as seen inside the sandbox). */
  cwd: string;
}

export interface DirEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** Modification time, epoch milliseconds. */
  mtimeMs: number;
}

/** One session's sandbox. Paths are as seen inside the sandbox; relative paths resolve against `workdir`. */
export interface Sandbox {
  readonly sessionId: string;
  /** The working directory as the agent sees it (e.g. "/workspace" under bwrap, the host path under subprocess). */
  readonly workdir: string;
  /** Runs `bash -c command` in a fresh process group. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs a command in the session's persistent shell: the working directory and exported variables
   * left by one call are there for the next (bash tool semantics). `restart` forgets that state.
   */
  shell(command: string, options?: ExecOptions): Promise<ShellResult>;
  /** Forgets the persistent shell's state (cwd back to workdir, exported variables cleared). */
  restartShell(): Promise<void>;
  /** Reads a file. Throws SandboxError (operation "readFile") when it does not exist or is outside the sandbox. */
  readFile(path: string): Promise<Buffer>;
  /** Creates or overwrites a file, creating parent directories. */
  writeFile(path: string, data: string | Buffer): Promise<void>;
  /** Lists a directory. */
  list(path: string): Promise<DirEntry[]>;
  /** Kills every process the sandbox is running; the sandbox stays usable. */
  stop(): Promise<void>;
  /**
   * Replaces the sandbox's mounts (memory's included, see `allMounts`) for its next commands; the
   * providers call it when `open` finds the sandbox already open. Optional for providers whose
   * sandboxes cannot change mounts (they keep the first list).
   */
  applyMounts?(mounts: SandboxMount[]): Promise<void>;
}

/**
 * Outbound traffic a session's sandbox may have: its environment's `config.networking`, in the
 * wire shape. Each provider enforces what it can and fails closed on the rest (docs/sandbox.md).
 */
export type SandboxNetworking =
  | { type: 'unrestricted' }
  | { type: 'limited'; allowed_hosts: string[]; allow_package_managers: boolean; allow_mcp_servers: boolean };

/** Where memory stores appear inside every sandbox: `/mnt/memory/<name>`. */
export const MEMORY_SANDBOX_ROOT = '/mnt/memory';

/**
 * The session's memory store directories: `<hostRoot>/<name>` on the host, prepared by the memory
 * module, shown at `/mnt/memory/<name>` (bwrap: a bind mount, read-only ones read-only; subprocess:
 * the file tools translate the path) and to bash through `$OMA_MEMORY_DIR`.
 */
export interface SandboxMemory {
  hostRoot: string;
  mounts: { name: string; readOnly: boolean }[];
}

/**
 * One host path shown inside the sandbox (docs/sandbox.md "Mounts", /work/notes/sandbox-mounts-api.md).
 * bwrap: a bind mount (`--ro-bind` when read-only), made after /workspace, parents first.
 * subprocess: the file tools translate the path; bash reaches it through the variable of its root
 * (SANDBOX_MOUNT_VARIABLES) or `$OMA_MOUNTS/<sandboxPath>`.
 */
export interface SandboxMount {
  /**
   * A directory or regular file on the host, prepared for this session alone: bwrap gives the tree
   * to the session's uid (lchown, symlinks not followed), so never pass a shared path. Its parent
   * directories must be searchable by others (o+x, e.g. mode 0711).
   */
  hostPath: string;
  /** Absolute, normalised path inside the sandbox (e.g. /mnt/session/uploads/file_…); not `/` nor a system directory. */
  sandboxPath: string;
  /** bwrap: a read-only bind. subprocess: the file tools refuse to write (bash is not stopped). */
  readOnly: boolean;
}

/**
 * The documented bash variables: when a mount is at or below the root, every command gets the
 * variable naming that root as the command sees it (bwrap: the root itself; subprocess: its host
 * alias). `$OMA_MEMORY_DIR` keeps its meaning from the memory-store issue (subprocess: the host
 * directory holding the stores).
 */
export const SANDBOX_MOUNT_VARIABLES: readonly { root: string; variable: string }[] = [
  { root: '/mnt/memory', variable: 'OMA_MEMORY_DIR' },
  { root: '/mnt/session', variable: 'OMA_SESSION_DIR' },
  { root: '/workspace/skills', variable: 'OMA_SKILLS_DIR' },
];

/** Where session files appear: uploads (read-only file resources) and outputs (collected at turn end). */
export const SESSION_SANDBOX_ROOT = '/mnt/session';

export interface SandboxOpenOptions {
  /** Memory store directories to show inside (shorthand for mounts under /mnt/memory). */
  memory?: SandboxMemory;
  /**
   * Other host paths to show inside. Every `open` passes the session's current list; a sandbox
   * already open applies it to its next commands (`applyMounts`).
   */
  mounts?: SandboxMount[];
  /**
   * The session environment's networking. Omitted: no network at all. It is fixed when the
   * sandbox is first opened in this process; later calls get the sandbox already open.
   */
  networking?: SandboxNetworking;
  /** The vault egress proxy for this session's networked commands (see SandboxEgress). */
  egress?: SandboxEgress;
}

/**
 * The session's way out through the oma-vault proxy: variables every networked command gets
 * (HTTPS_PROXY and friends carrying the session's proxy token, the proxy CA's bundle paths, and
 * placeholders of environment_variable credentials). Never a secret: the proxy substitutes those.
 */
export interface SandboxEgress {
  /** The proxy's host and port as the server reaches it, and the session's token in its credentials. */
  proxy: { host: string; port: number; url: (endpoint: { host: string; port: number }) => string; socketPath?: string };
  /** The proxy CA certificate (PEM) on the host. */
  caCertPath: string;
  /** Placeholder variables (name → placeholder value). */
  placeholders: Record<string, string>;
}

/** The variables a command gets for `egress`, given the proxy endpoint and CA path it sees. */
export function egressEnvironment(egress: SandboxEgress, seen: { endpoint: { host: string; port: number }; caCertPath: string }): Record<string, string> {
  const url = egress.proxy.url(seen.endpoint);
  const env: Record<string, string> = { ...egress.placeholders };
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy']) env[name] = url;
  for (const name of ['SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS', 'GIT_SSL_CAINFO']) env[name] = seen.caCertPath;
  return env;
}

/** Chosen by `SANDBOX_PROVIDER` at boot. */
export interface SandboxProvider {
  /** "subprocess", "bwrap", … */
  readonly name: string;
  /**
   * Checks prerequisites (binaries, kernel support); throws SandboxError with an actionable message
   * when the provider cannot run at all. Returns warnings for the boot log about features that will
   * fail later (e.g. networking when its helper is missing).
   */
  check(): Promise<string[]>;
  /**
   * Creates the session's sandbox on first use, or resumes it (same directory) after a restart.
   * Throws SandboxError when the sandbox cannot be given what `options` asks (e.g. networking).
   */
  open(sessionId: string, options?: SandboxOpenOptions): Promise<Sandbox>;
  /** Stops the session's processes (archive). Safe when nothing runs. */
  stop(sessionId: string): Promise<void>;
  /** Stops processes and removes the session's directory (session delete). Safe when absent. */
  destroy(sessionId: string): Promise<void>;
  /**
   * The session was archived and will not run again. Remote providers delete its machine (local
   * ones keep the directory, as before). Optional; safe when the session has no sandbox.
   */
  release?(sessionId: string): Promise<void>;
  /** Stops every sandbox process (SIGTERM of the server). */
  shutdown(): Promise<void>;
}

/** Thrown by providers. Never carries credentials. */
export class SandboxError extends Error {
  readonly provider: string;
  readonly operation: string;
  readonly sandboxId: string | undefined;
  constructor(options: { provider: string; operation: string; sandboxId?: string; message: string; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    this.name = 'SandboxError';
    this.provider = options.provider;
    this.operation = options.operation;
    this.sandboxId = options.sandboxId;
  }
}
