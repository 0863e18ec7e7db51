/**
 * The port a remote-sandbox driver implements (e2b, daytona, boxrun, litebox): "a machine that
 * lives elsewhere" reduced to create / connect / destroy / list plus, on a live handle, running a
 * shell command and moving bytes. Everything else (the persistent shell, file tools, process
 * kills, timeouts, output caps, tracking per session, reattach, idle timeout, the reaper, memory
 * sync, egress) is the framework's (remote-provider.ts, remote-sandbox.ts), identical for all
 * drivers. The contract: /work/notes/remote-sandbox-api.md and docs/sandbox.md.
 */

/** Tags every sandbox carries at the provider (its metadata / labels), so the reaper can find ours. */
export interface RemoteSandboxTags {
  /** This deployment (every instance on one database shares it): `oma-deployment`. */
  deployment: string;
  /** The instance that created it: `oma-instance`. */
  instance: string;
  /** `oma-tenant`, `oma-session`. */
  tenant: string;
  session: string;
}

/** The tag keys as stored at the provider. */
export const TAG_KEYS = { deployment: 'oma-deployment', instance: 'oma-instance', tenant: 'oma-tenant', session: 'oma-session' } as const;

export function tagsToLabels(tags: RemoteSandboxTags): Record<string, string> {
  return { [TAG_KEYS.deployment]: tags.deployment, [TAG_KEYS.instance]: tags.instance, [TAG_KEYS.tenant]: tags.tenant, [TAG_KEYS.session]: tags.session };
}

export function labelsToTags(labels: Record<string, string> | undefined): Partial<RemoteSandboxTags> {
  const l = labels ?? {};
  return { deployment: l[TAG_KEYS.deployment], instance: l[TAG_KEYS.instance], tenant: l[TAG_KEYS.tenant], session: l[TAG_KEYS.session] };
}

/**
 * Outbound network the driver must give the machine at creation.
 * - none: no outbound traffic at all.
 * - proxy-only: only `proxy` (the vault egress proxy as the machine reaches it, an IP or name and a
 *   port); everything else goes through it.
 * - unrestricted: the provider's default internet access.
 * A driver that cannot enforce the mode throws RemoteProviderError (fail closed), never degrades.
 */
export type RemoteNetwork = { mode: 'none' } | { mode: 'proxy-only'; proxy: { host: string; port: number } } | { mode: 'unrestricted' };

export interface RemoteCreateSpec {
  tags: RemoteSandboxTags;
  network: RemoteNetwork;
  /** The provider should end the machine by itself after this long without use (a backstop when the server is gone). */
  idleTimeoutS: number;
}

/** One running command's output, as it arrives. */
export interface RemoteRunOptions {
  /** Backstop only: the framework kills at the real timeout itself. */
  timeoutMs: number;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

/** A live machine. Commands run as the machine's normal (non-root where the provider has one) user. */
export interface RemoteMachine {
  readonly sandboxId: string;
  /**
   * The agent's working directory and HOME (e.g. /home/user): exists, writable by the command user.
   * `/mnt/memory` must exist and be writable by that user too (the driver prepares it at creation).
   */
  readonly workdir: string;
  /**
   * Runs `command` with `/bin/bash -c` (or sh -c; the framework only passes a command that starts
   * with `exec bash`), cwd the workdir. Resolves with the exit code when it ends. Rejects with
   * RemoteProviderError only when the provider failed (not for a non-zero exit).
   */
  run(command: string, options: RemoteRunOptions): Promise<{ exitCode: number }>;
  /** Writes a file (absolute path), creating parent directories. */
  upload(path: string, data: Buffer): Promise<void>;
  /** Reads a file (absolute path); undefined when it does not exist. */
  download(path: string): Promise<Buffer | undefined>;
  /** Tells the provider the machine is in use (e.g. e2b's timeout extension). Optional. */
  keepAlive?(idleTimeoutS: number): Promise<void>;
}

export interface RemoteSandboxSummary {
  sandboxId: string;
  tags: Partial<RemoteSandboxTags>;
}

export interface RemoteDriver {
  /** SANDBOX_PROVIDER value: "e2b", "daytona", "boxrun", "litebox". */
  readonly name: string;
  /** Boot check: credentials present, API reachable. Throws RemoteProviderError (actionable) or returns warnings. */
  check(): Promise<string[]>;
  /** Creates a machine with the tags and network; resolves when commands can run. */
  create(spec: RemoteCreateSpec): Promise<RemoteMachine>;
  /** Reattaches (resuming a paused/stopped machine). Undefined when the provider no longer has it. */
  connect(sandboxId: string, spec: RemoteCreateSpec): Promise<RemoteMachine | undefined>;
  /** Deletes the machine. Resolves when it is gone or was already gone. */
  destroy(sandboxId: string): Promise<void>;
  /** Every machine tagged with `deployment` (all states). */
  list(deployment: string): Promise<RemoteSandboxSummary[]>;
}

/**
 * What drivers throw for provider failures. `retryable`: the provider said so (429, 502–504,
 * timeouts, connection resets); the framework retries those with backoff. `message` carries the
 * provider's own message (never a credential) and ends up in the tool result / session.error.
 */
export class RemoteProviderError extends Error {
  readonly provider: string;
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(options: { provider: string; message: string; retryable: boolean; status?: number; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    this.name = 'RemoteProviderError';
    this.provider = options.provider;
    this.retryable = options.retryable;
    this.status = options.status;
  }
}

/** HTTP statuses a provider answers when trying again later may work. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || status === 502 || status === 503 || status === 504;
}

/** Node/undici network errors worth a retry (connection refused or reset, timeouts). */
export function isRetryableNetworkError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN'].includes(code)) return true;
    const name = (current as { name?: unknown }).name;
    if (name === 'TimeoutError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
