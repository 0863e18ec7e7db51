/**
 * `SANDBOX_PROVIDER=daytona`: machines are Daytona sandboxes, driven with @daytonaio/sdk (REST
 * API with a Bearer key; the toolbox behind each sandbox's toolbox proxy URL for commands and
 * files). DAYTONA_API_URL points it at a self-hosted Daytona, DAYTONA_TARGET picks the region.
 * The toolbox's execute call runs a word-split command without a shell and answers the combined
 * output at the end, so each command goes as `bash -c` of a base64-decoded script that keeps
 * stdout and stderr apart in files and prints both, base64-encoded, when it ends. Daytona stops a
 * sandbox after its auto-stop interval (the idle timeout plus a margin) and deletes it an hour
 * after that: a backstop when no server is left to clean up.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Daytona, DaytonaError, DaytonaNotFoundError, DaytonaRateLimitError, DaytonaTimeoutError, type Sandbox as DaytonaSandbox } from '@daytonaio/sdk';
import { isRetryableNetworkError, isRetryableStatus, labelsToTags, RemoteProviderError, tagsToLabels, TAG_KEYS, type RemoteCreateSpec, type RemoteDriver, type RemoteMachine, type RemoteSandboxSummary } from './driver.ts';

export interface DaytonaDriverOptions {
  apiKey?: string;
  apiUrl?: string;
  target?: string;
}

const WORKDIR = '/workspace';
const DEFAULT_API_URL = 'https://app.daytona.io/api';
/** Largest stdout or stderr a command sends back through the toolbox (the framework caps further). */
const STREAM_LIMIT_BYTES = 16 * 1024 * 1024;
const START_TIMEOUT_S = 120;

export class DaytonaDriver implements RemoteDriver {
  readonly name = 'daytona';
  private client: Daytona | undefined;

  constructor(private readonly options: DaytonaDriverOptions) {}

  private daytona(): Daytona {
    if (!this.options.apiKey) throw new RemoteProviderError({ provider: this.name, retryable: false, message: 'DAYTONA_API_KEY is not set (create a key in the Daytona dashboard, or set DAYTONA_API_URL for a self-hosted Daytona and its key).' });
    // Polling instead of the event socket: one HTTP API to expose and to fake.
    this.client ??= new Daytona({ apiKey: this.options.apiKey, apiUrl: this.options.apiUrl ?? DEFAULT_API_URL, target: this.options.target, useDeprecatedPolling: true });
    return this.client;
  }

  async check(): Promise<string[]> {
    const client = this.daytona();
    try {
      await client.list({ labels: { [TAG_KEYS.deployment]: 'oma-check' }, limit: 1 }).next();
      return [];
    } catch (error) {
      const mapped = this.toError(error);
      if (mapped.status === 401 || mapped.status === 403) throw mapped;
      return [`SANDBOX_PROVIDER=daytona: the Daytona API did not answer at boot (${mapped.message}); sessions will fail their tools until it does.`];
    }
  }

  async create(spec: RemoteCreateSpec): Promise<RemoteMachine> {
    const network = spec.network;
    const allowList = network.mode === 'proxy-only' ? `${await this.resolve(network.proxy.host)}/32` : undefined;
    const sandbox = await this.wrap(() =>
      this.daytona().create(
        {
          labels: tagsToLabels(spec.tags),
          autoStopInterval: Math.ceil(spec.idleTimeoutS / 60) + 10,
          autoDeleteInterval: 60,
          networkBlockAll: network.mode === 'none',
          networkAllowList: allowList,
        },
        { timeout: START_TIMEOUT_S },
      ),
    );
    const machine = new DaytonaMachine(sandbox, this);
    const prepared = await machine.run(
      `if [ "$(id -u)" = 0 ]; then s=; else s="sudo -n"; fi; $s mkdir -p ${WORKDIR} /mnt && $s chown -R "$(id -un):" ${WORKDIR} /mnt`,
      { timeoutMs: 60_000, onStdout: () => undefined, onStderr: () => undefined },
    ).catch(async (error: unknown) => {
      await this.destroy(sandbox.id).catch(() => undefined);
      throw error;
    });
    if (prepared.exitCode !== 0) {
      await this.destroy(sandbox.id).catch(() => undefined);
      throw new RemoteProviderError({ provider: this.name, retryable: false, message: `could not prepare ${WORKDIR} in the new Daytona sandbox (exit ${prepared.exitCode}; the image needs root or passwordless sudo)` });
    }
    return machine;
  }

  /** Daytona's allow-list takes CIDRs: a proxy given by name is resolved once, at creation. */
  private async resolve(host: string): Promise<string> {
    if (isIP(host)) return host;
    try {
      return (await lookup(host, { family: 4 })).address;
    } catch (error) {
      throw new RemoteProviderError({ provider: this.name, retryable: true, message: `could not resolve the vault proxy host ${host} for the sandbox's network allow-list: ${(error as Error).message}` });
    }
  }

  async connect(sandboxId: string): Promise<RemoteMachine | undefined> {
    let sandbox: DaytonaSandbox;
    try {
      sandbox = await this.daytona().get(sandboxId);
    } catch (error) {
      if (error instanceof DaytonaNotFoundError) return undefined;
      throw this.toError(error);
    }
    if (sandbox.state === 'destroyed' || sandbox.state === 'destroying') return undefined;
    // Auto-stopped (idle at Daytona) or archived: start it again; its files are kept.
    if (sandbox.state !== 'started') await this.wrap(() => sandbox.start(START_TIMEOUT_S));
    return new DaytonaMachine(sandbox, this);
  }

  async destroy(sandboxId: string): Promise<void> {
    try {
      const sandbox = await this.daytona().get(sandboxId);
      await this.daytona().delete(sandbox);
    } catch (error) {
      if (error instanceof DaytonaNotFoundError) return;
      throw this.toError(error);
    }
  }

  async list(deployment: string): Promise<RemoteSandboxSummary[]> {
    const found: RemoteSandboxSummary[] = [];
    await this.wrap(async () => {
      for await (const sandbox of this.daytona().list({ labels: { [TAG_KEYS.deployment]: deployment } })) {
        if (sandbox.state !== 'destroyed') found.push({ sandboxId: sandbox.id, tags: labelsToTags(sandbox.labels) });
      }
    });
    return found;
  }

  async wrap<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.toError(error);
    }
  }

  toError(error: unknown): RemoteProviderError {
    if (error instanceof RemoteProviderError) return error;
    const status = error instanceof DaytonaError ? error.statusCode : undefined;
    const retryable = error instanceof DaytonaRateLimitError || error instanceof DaytonaTimeoutError || isRetryableStatus(status) || isRetryableNetworkError(error);
    return new RemoteProviderError({ provider: this.name, message: `Daytona: ${(error as Error).message ?? String(error)}`, retryable, status, cause: error });
  }
}

class DaytonaMachine implements RemoteMachine {
  readonly workdir = WORKDIR;

  constructor(private readonly sandbox: DaytonaSandbox, private readonly driver: DaytonaDriver) {}

  get sandboxId(): string {
    return this.sandbox.id;
  }

  async run(command: string, options: { timeoutMs: number; onStdout(chunk: Buffer): void; onStderr(chunk: Buffer): void }): Promise<{ exitCode: number }> {
    const script = [
      'o=$(mktemp) e=$(mktemp)',
      `bash -c ${quote(command)} >"$o" 2>"$e" </dev/null; s=$?`,
      `head -c ${STREAM_LIMIT_BYTES} "$o" | base64 -w0; echo; head -c ${STREAM_LIMIT_BYTES} "$e" | base64 -w0; echo`,
      'rm -f "$o" "$e"; exit $s',
    ].join('\n');
    const encoded = Buffer.from(script, 'utf8').toString('base64');
    const response = await this.driver.wrap(() => this.sandbox.process.executeCommand(`bash -c 'echo ${encoded} | base64 -d | bash'`, undefined, undefined, Math.ceil(options.timeoutMs / 1000)));
    const [stdout = '', stderr = ''] = response.result.split('\n');
    if (stdout) options.onStdout(Buffer.from(stdout, 'base64'));
    if (stderr) options.onStderr(Buffer.from(stderr, 'base64'));
    return { exitCode: response.exitCode };
  }

  async upload(path: string, data: Buffer): Promise<void> {
    await this.driver.wrap(() => this.sandbox.fs.uploadFile(data, path));
  }

  async download(path: string): Promise<Buffer | undefined> {
    try {
      return await this.sandbox.fs.downloadFile(path);
    } catch (error) {
      if (error instanceof DaytonaNotFoundError) return undefined;
      throw this.driver.toError(error);
    }
  }
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
