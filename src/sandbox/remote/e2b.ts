/**
 * `SANDBOX_PROVIDER=e2b`: machines are E2B sandboxes, driven with the official `e2b` SDK (REST
 * control plane with X-API-KEY; envd over Connect RPC for processes and HTTP for files).
 * E2B_API_URL / E2B_DOMAIN point it at a self-hosted or compatible service; E2B_SANDBOX_URL sends
 * every envd call to one gateway (with the E2b-Sandbox-Id header) instead of per-sandbox hosts.
 * Commands run as the template's user ("user"); /workspace (workdir and HOME) and /mnt are made
 * theirs as root at creation. The sandbox's E2B timeout is the idle timeout plus a margin,
 * extended on use, so an abandoned sandbox ends itself even when no server is left to reap it.
 */
import {
  ALL_TRAFFIC,
  AuthenticationError,
  CommandExitError,
  NotFoundError,
  RateLimitError,
  Sandbox as E2bSandbox,
  SandboxError as E2bError,
  ServiceBusyError,
  TimeoutError as E2bTimeoutError,
  type ConnectionOpts,
} from 'e2b';
import { isRetryableNetworkError, isRetryableStatus, labelsToTags, RemoteProviderError, tagsToLabels, TAG_KEYS, type RemoteCreateSpec, type RemoteDriver, type RemoteMachine, type RemoteSandboxSummary } from './driver.ts';

export interface E2bDriverOptions {
  apiKey?: string;
  apiUrl?: string;
  domain?: string;
  sandboxUrl?: string;
  template: string;
}

const WORKDIR = '/workspace';
/** E2B's own timeout on top of the idle timeout: the server's sweep normally deletes first. */
const TIMEOUT_MARGIN_S = 600;
const REQUEST_TIMEOUT_MS = 60_000;
/** The longest timeout E2B accepts (24 h, Pro). */
const MAX_TIMEOUT_S = 86_400;

export class E2bDriver implements RemoteDriver {
  readonly name = 'e2b';

  constructor(private readonly options: E2bDriverOptions) {}

  private connection(): ConnectionOpts {
    const { apiKey, apiUrl, domain, sandboxUrl } = this.options;
    return { apiKey, apiUrl, domain, sandboxUrl, requestTimeoutMs: REQUEST_TIMEOUT_MS };
  }

  async check(): Promise<string[]> {
    if (!this.options.apiKey) throw new RemoteProviderError({ provider: this.name, retryable: false, message: 'E2B_API_KEY is not set (create a key at https://e2b.dev/dashboard, or set E2B_API_URL for a self-hosted E2B and its key).' });
    try {
      await E2bSandbox.list({ ...this.connection(), limit: 1 }).nextItems();
      return [];
    } catch (error) {
      const mapped = this.toError(error);
      if (error instanceof AuthenticationError) throw mapped;
      return [`SANDBOX_PROVIDER=e2b: the E2B API did not answer at boot (${mapped.message}); sessions will fail their tools until it does.`];
    }
  }

  private timeoutMs(idleTimeoutS: number): number {
    return Math.min(idleTimeoutS + TIMEOUT_MARGIN_S, MAX_TIMEOUT_S) * 1000;
  }

  async create(spec: RemoteCreateSpec): Promise<RemoteMachine> {
    const network = spec.network;
    const sandbox = await this.wrap(() =>
      E2bSandbox.create(this.options.template, {
        ...this.connection(),
        metadata: tagsToLabels(spec.tags),
        timeoutMs: this.timeoutMs(spec.idleTimeoutS),
        allowInternetAccess: network.mode !== 'none',
        // Limited networking: nothing out but the vault proxy (an IP or a name E2B resolves).
        network: network.mode === 'proxy-only' ? { denyOut: [ALL_TRAFFIC], allowOut: [network.proxy.host] } : undefined,
      }),
    );
    try {
      const prepared = await sandbox.commands.run(`mkdir -p ${WORKDIR} /mnt && chown -R user: ${WORKDIR} /mnt`, { user: 'root' });
      if (prepared.exitCode !== 0) throw new Error(prepared.stderr);
    } catch (error) {
      await E2bSandbox.kill(sandbox.sandboxId, this.connection()).catch(() => undefined);
      throw error instanceof CommandExitError
        ? new RemoteProviderError({ provider: this.name, retryable: false, message: `could not prepare ${WORKDIR} in the new sandbox (template "${this.options.template}"): ${error.stderr.trim()}` })
        : this.toError(error);
    }
    return new E2bMachine(sandbox, this);
  }

  async connect(sandboxId: string, spec: RemoteCreateSpec): Promise<RemoteMachine | undefined> {
    try {
      return new E2bMachine(await E2bSandbox.connect(sandboxId, { ...this.connection(), timeoutMs: this.timeoutMs(spec.idleTimeoutS) }), this);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw this.toError(error);
    }
  }

  async destroy(sandboxId: string): Promise<void> {
    await this.wrap(() => E2bSandbox.kill(sandboxId, this.connection()));
  }

  async list(deployment: string): Promise<RemoteSandboxSummary[]> {
    const paginator = E2bSandbox.list({ ...this.connection(), query: { metadata: { [TAG_KEYS.deployment]: deployment }, state: ['running', 'paused'] } });
    const found: RemoteSandboxSummary[] = [];
    while (paginator.hasNext) {
      const page = await this.wrap(() => paginator.nextItems());
      for (const item of page) found.push({ sandboxId: item.sandboxId, tags: labelsToTags(item.metadata) });
    }
    return found;
  }

  async wrap<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.toError(error);
    }
  }

  /** E2B SDK errors as RemoteProviderError with E2B's message; rate limits, 502–504, timeouts and resets are retryable. */
  toError(error: unknown): RemoteProviderError {
    if (error instanceof RemoteProviderError) return error;
    const message = (error as Error).message ?? String(error);
    const status = error instanceof E2bError ? (error as E2bError & { statusCode?: number }).statusCode : undefined;
    const retryable = error instanceof RateLimitError || error instanceof ServiceBusyError || error instanceof E2bTimeoutError || isRetryableStatus(status) || isRetryableNetworkError(error);
    return new RemoteProviderError({ provider: this.name, message: `E2B: ${message}`, retryable, status, cause: error });
  }

  keepAliveMs(idleTimeoutS: number): number {
    return this.timeoutMs(idleTimeoutS);
  }
}

class E2bMachine implements RemoteMachine {
  readonly workdir = WORKDIR;

  constructor(private readonly sandbox: E2bSandbox, private readonly driver: E2bDriver) {}

  get sandboxId(): string {
    return this.sandbox.sandboxId;
  }

  async run(command: string, options: { timeoutMs: number; onStdout(chunk: Buffer): void; onStderr(chunk: Buffer): void }): Promise<{ exitCode: number }> {
    try {
      const result = await this.sandbox.commands.run(command, {
        timeoutMs: options.timeoutMs,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        onStdout: (data) => options.onStdout(Buffer.from(data, 'utf8')),
        onStderr: (data) => options.onStderr(Buffer.from(data, 'utf8')),
      });
      return { exitCode: result.exitCode };
    } catch (error) {
      if (error instanceof CommandExitError) return { exitCode: error.exitCode };
      throw this.driver.toError(error);
    }
  }

  async upload(path: string, data: Buffer): Promise<void> {
    const bytes = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    await this.driver.wrap(() => this.sandbox.files.write(path, bytes));
  }

  async download(path: string): Promise<Buffer | undefined> {
    try {
      return Buffer.from(await this.sandbox.files.read(path, { format: 'bytes' }));
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw this.driver.toError(error);
    }
  }

  async keepAlive(idleTimeoutS: number): Promise<void> {
    await this.driver.wrap(() => this.sandbox.setTimeout(this.driver.keepAliveMs(idleTimeoutS)));
  }
}
