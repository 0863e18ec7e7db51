/**
 * SANDBOX_PROVIDER=boxrun: one BoxLite box per session on a `boxlite serve` host (BOXRUN_URL),
 * driven over its REST API (boxrun-api.ts). The remote-sandbox framework does the rest
 * (src/sandbox/remote). Tags live in the box name (box-names.ts); the network is the box's
 * outbound policy: `disabled` for none, an `allow_net` of just the proxy host for proxy-only.
 */
import path from 'node:path';
import type { SandboxConfig } from '../../config/schema.ts';
import { tarSingleFile, untarFiles } from '../../lib/ustar.ts';
import { RemoteProviderError, type RemoteCreateSpec, type RemoteDriver, type RemoteMachine, type RemoteNetwork, type RemoteRunOptions, type RemoteSandboxSummary } from '../remote/driver.ts';
import { AttachClosedEarly } from './boxrun-attach.ts';
import { BoxrunApi, type BoxrunBox, type BoxrunCreateBox } from './boxrun-api.ts';
import { boxNameFor, tagsFromBoxName } from './box-names.ts';

/** The agent's working directory and HOME inside every box. */
export const BOXLITE_WORKDIR = '/workspace';
/** Prepared at creation: the workdir and the memory mount root. */
export const PREPARE_COMMAND = `mkdir -p ${BOXLITE_WORKDIR} /mnt/memory`;
/** Image when BOXRUN_IMAGE is unset: it has bash, coreutils and util-linux (setsid), which the framework's commands need. */
export const DEFAULT_BOXLITE_IMAGE = 'debian:bookworm-slim';

/** Box states the API reports for a box that can be started again. */
const STARTABLE = new Set(['configured', 'stopped', 'stopping', 'paused']);
/** How long the status endpoint is polled for an exit code when the attach socket closed early. */
const EXIT_POLL_MS = 30_000;

export interface BoxrunDriverOptions {
  /** BOXRUN_URL: the box-scoped API root, e.g. http://kvm-host:8100/v1/default. */
  url: string;
  /** BOXRUN_API_KEY: the server's --api-key, sent as a bearer token. */
  apiKey?: string;
  /** BOXRUN_IMAGE: the OCI image of every box. */
  image?: string;
}

/** The driver for the server's sandbox config (config loading already refused boxrun without BOXRUN_URL). */
export function boxrunDriverFrom(config: SandboxConfig): BoxrunDriver {
  if (!config.boxrun) throw new RemoteProviderError({ provider: 'boxrun', message: 'BOXRUN_URL is not set: set it to the box API root of a `boxlite serve` host, such as http://kvm-host:8100/v1/default', retryable: false });
  return new BoxrunDriver(config.boxrun);
}

export class BoxrunDriver implements RemoteDriver {
  readonly name = 'boxrun';
  readonly api: BoxrunApi;
  private readonly image: string;

  constructor(options: BoxrunDriverOptions) {
    this.api = new BoxrunApi({ url: options.url, apiKey: options.apiKey });
    this.image = options.image ?? DEFAULT_BOXLITE_IMAGE;
  }

  async check(): Promise<string[]> {
    try {
      await this.api.listBoxes();
    } catch (cause) {
      const message = (cause as Error).message;
      throw new RemoteProviderError({
        provider: this.name,
        message:
          `SANDBOX_PROVIDER=boxrun cannot use BOXRUN_URL=${this.api.baseUrl}: ${message}. ` +
          'Run `boxlite serve --host 0.0.0.0 --port 8100` on a host with /dev/kvm and set BOXRUN_URL to its box API root (http://host:8100/v1/default).',
        retryable: false,
        cause,
      });
    }
    return [];
  }

  async create(spec: RemoteCreateSpec): Promise<RemoteMachine> {
    const name = boxNameFor(spec.tags);
    const request: BoxrunCreateBox = { name, image: this.image, working_dir: '/', network: boxNetwork(spec.network), detach: true, auto_remove: false };
    let created: BoxrunBox;
    try {
      created = await this.api.createBox(request);
    } catch (error) {
      // A box of this session left by a create whose answer was lost (or a crash before the row was saved).
      if (!(error instanceof RemoteProviderError && error.status === 409)) throw error;
      const existing = await this.api.getBox(name);
      if (!existing) throw error;
      created = existing;
    }
    try {
      const machine = await this.ready(created);
      await runPrepared(machine);
      return machine;
    } catch (error) {
      // A box that never became usable is removed, not left running for the reaper.
      await this.api.removeBox(created.box_id).catch(() => {});
      throw error;
    }
  }

  async connect(sandboxId: string): Promise<RemoteMachine | undefined> {
    const found = await this.api.getBox(sandboxId);
    if (!found) return undefined;
    if (found.status === 'failed' || found.status === 'unknown') {
      await this.api.removeBox(found.box_id);
      return undefined;
    }
    return this.ready(found);
  }

  destroy(sandboxId: string): Promise<void> {
    return this.api.removeBox(sandboxId);
  }

  async list(deployment: string): Promise<RemoteSandboxSummary[]> {
    const summaries: RemoteSandboxSummary[] = [];
    for (const box of await this.api.listBoxes()) {
      const tags = tagsFromBoxName(box.name, deployment);
      if (tags) summaries.push({ sandboxId: box.box_id, tags });
    }
    return summaries;
  }

  private async ready(box: BoxrunBox): Promise<BoxrunMachine> {
    if (box.status !== 'running') {
      if (!STARTABLE.has(box.status)) throw new RemoteProviderError({ provider: this.name, message: `box ${box.box_id} is ${box.status} and cannot be started`, retryable: false });
      await this.api.startBox(box.box_id);
    }
    return new BoxrunMachine(this.api, box.box_id);
  }
}

class BoxrunMachine implements RemoteMachine {
  readonly workdir = BOXLITE_WORKDIR;

  constructor(
    private readonly api: BoxrunApi,
    readonly sandboxId: string,
  ) {}

  run(command: string, options: RemoteRunOptions): Promise<{ exitCode: number }> {
    return this.runIn(this.workdir, command, options);
  }

  /** Runs `bash -c command` in `cwd` (the preparation runs in "/", before the workdir exists). */
  async runIn(cwd: string, command: string, options: RemoteRunOptions): Promise<{ exitCode: number }> {
    const executionId = await this.api.startExecution(this.sandboxId, {
      command: 'bash',
      args: ['-c', command],
      working_dir: cwd,
      timeout_seconds: Math.ceil(options.timeoutMs / 1000) + 30,
      tty: false,
    });
    const backstop = AbortSignal.timeout(options.timeoutMs + 60_000);
    try {
      return { exitCode: await this.api.attach(this.sandboxId, executionId, { onStdout: options.onStdout, onStderr: options.onStderr, signal: backstop }) };
    } catch (error) {
      if (!(error instanceof AttachClosedEarly)) throw error;
      return { exitCode: await this.exitCodeAfterClose(executionId, error) };
    }
  }

  async upload(filePath: string, data: Buffer): Promise<void> {
    // Extracted at "/" so the archive's own path creates the parent directories.
    await this.api.uploadTar(this.sandboxId, '/', tarSingleFile(path.posix.relative('/', path.posix.resolve('/', filePath)), data));
  }

  async download(filePath: string): Promise<Buffer | undefined> {
    const archive = await this.api.downloadTar(this.sandboxId, filePath);
    if (!archive) return undefined;
    return untarFiles(archive)[0]?.data;
  }

  private async exitCodeAfterClose(executionId: string, closed: AttachClosedEarly): Promise<number> {
    const deadline = Date.now() + EXIT_POLL_MS;
    for (;;) {
      const exitCode = await this.api.executionExitCode(this.sandboxId, executionId);
      if (typeof exitCode === 'number') return exitCode;
      if (exitCode === undefined || Date.now() > deadline) {
        throw new RemoteProviderError({ provider: 'boxrun', message: `execution ${executionId}: ${closed.message}, and the server reports no exit code`, retryable: false });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The box's network policy for the session's networking (boxlite enforces `allow_net` on the host side). */
export function boxNetwork(network: RemoteNetwork): BoxrunCreateBox['network'] {
  const inbound = { mode: 'disabled' as const };
  switch (network.mode) {
    case 'none':
      return { outbound: { mode: 'disabled' }, inbound };
    case 'proxy-only':
      return { outbound: { mode: 'enabled', allow_net: [network.proxy.host] }, inbound };
    case 'unrestricted':
      return { outbound: { mode: 'enabled' }, inbound };
  }
}

async function runPrepared(machine: BoxrunMachine): Promise<void> {
  const stderr: Buffer[] = [];
  const result = await machine.runIn('/', PREPARE_COMMAND, { timeoutMs: 60_000, onStdout: () => {}, onStderr: (chunk) => stderr.push(chunk) });
  if (result.exitCode !== 0) {
    throw new RemoteProviderError({ provider: 'boxrun', message: `preparing ${BOXLITE_WORKDIR} in box ${machine.sandboxId} failed: ${Buffer.concat(stderr).toString('utf8').trim()}`, retryable: false });
  }
}
