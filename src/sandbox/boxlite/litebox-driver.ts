/**
 * SANDBOX_PROVIDER=litebox: one BoxLite micro-VM per session on this host, through the embedded
 * runtime of @boxlite-ai/boxlite (libkrun; /dev/kvm on Linux, Hypervisor.framework on Apple
 * Silicon). No daemon: the runtime keeps its boxes, images and disks under LITEBOX_HOME. Boxes are
 * not detached, so their VMs end with the server; their disks stay and a restarted server starts
 * them again on reattach (files kept, processes not). Tags live in the box name (box-names.ts).
 * Files move through commands (stdin in, base64 out): the runtime's copy calls need host paths
 * and their directory semantics are not documented.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Boxlite } from '@boxlite-ai/boxlite';
import type { SandboxConfig } from '../../config/schema.ts';
import type { JsBox, JsBoxOptions, JsExecution } from '@boxlite-ai/boxlite/dist/native-contracts.js';
import { RemoteProviderError, type RemoteCreateSpec, type RemoteDriver, type RemoteMachine, type RemoteNetwork, type RemoteRunOptions, type RemoteSandboxSummary } from '../remote/driver.ts';
import { boxNameFor, tagsFromBoxName } from './box-names.ts';
import { BOXLITE_WORKDIR, DEFAULT_BOXLITE_IMAGE, PREPARE_COMMAND } from './boxrun-driver.ts';
import { liteboxHostProblem, type KvmHost } from './kvm.ts';

export interface LiteboxDriverOptions {
  /** LITEBOX_HOME: the runtime's state directory (boxes, image cache, disks). */
  homeDir: string;
  /** LITEBOX_IMAGE: OCI image pulled from its registry on first use. */
  image?: string;
  /** LITEBOX_ROOTFS_PATH: a local OCI image layout directory, used instead of `image` (no registry needed). */
  rootfsPath?: string;
  /** Host probes (tests point them elsewhere). */
  host?: KvmHost;
}

const PROVIDER = 'litebox';
const EXIT_NOT_FOUND = 100;
const UPLOAD_SCRIPT = 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"';
const DOWNLOAD_SCRIPT = `if [ ! -f "$1" ]; then exit ${EXIT_NOT_FOUND}; fi; base64 -w0 -- "$1"`;

/** The driver for the server's sandbox config (config loading always fills `litebox`; LITEBOX_HOME defaults under DATA_DIR). */
export function liteboxDriverFrom(config: SandboxConfig): LiteboxDriver {
  if (!config.litebox) throw refusal('SANDBOX_PROVIDER=litebox: no LITEBOX_HOME in the sandbox configuration (internal wiring error).');
  return new LiteboxDriver(config.litebox);
}

export class LiteboxDriver implements RemoteDriver {
  readonly name = PROVIDER;
  private readonly options: LiteboxDriverOptions;
  private runtimePromise: Promise<Boxlite> | undefined;

  constructor(options: LiteboxDriverOptions) {
    this.options = options;
  }

  async check(): Promise<string[]> {
    const problem = await liteboxHostProblem(this.options.host);
    if (problem) throw refusal(`SANDBOX_PROVIDER=litebox cannot run on this host: ${problem}`);
    if (this.options.rootfsPath) {
      const layout = await stat(path.join(this.options.rootfsPath, 'index.json')).catch(() => undefined);
      if (!layout) throw refusal(`LITEBOX_ROOTFS_PATH=${this.options.rootfsPath} is not an OCI image layout (no index.json there).`);
    }
    try {
      await this.runtime();
    } catch (cause) {
      throw refusal(`SANDBOX_PROVIDER=litebox: the BoxLite runtime did not load: ${(cause as Error).message}`, cause);
    }
    return this.options.rootfsPath ? [] : [`litebox: the first box pulls ${this.image} from its registry; this host must reach it (or set LITEBOX_ROOTFS_PATH to a local OCI layout).`];
  }

  async create(spec: RemoteCreateSpec): Promise<RemoteMachine> {
    const runtime = await this.runtime();
    const name = boxNameFor(spec.tags);
    const options: JsBoxOptions = {
      ...(this.options.rootfsPath ? { rootfsPath: this.options.rootfsPath } : { image: this.image }),
      workingDir: '/',
      network: liteboxNetwork(spec.network),
      autoRemove: false,
      detach: false,
    };
    const box = await call('create box', async () => (await runtime.getOrCreate(options, name)).box);
    try {
      const machine = await this.ready(box);
      const prepared = await machine.capture(PREPARE_COMMAND, { cwd: '/' });
      if (prepared.exitCode !== 0) throw new RemoteProviderError({ provider: PROVIDER, message: `preparing ${BOXLITE_WORKDIR} in box ${box.id} failed: ${prepared.stderr}`, retryable: false });
      return machine;
    } catch (error) {
      // A box that never became usable is removed, not left for the reaper.
      await runtime.remove(box.id, true).catch(() => {});
      throw error;
    }
  }

  async connect(sandboxId: string): Promise<RemoteMachine | undefined> {
    const runtime = await this.runtime();
    const box = await call('get box', () => runtime.get(sandboxId));
    return box ? this.ready(box) : undefined;
  }

  async destroy(sandboxId: string): Promise<void> {
    const runtime = await this.runtime();
    const box = await call('get box', () => runtime.get(sandboxId));
    if (box) await call('remove box', () => runtime.remove(sandboxId, true));
  }

  async list(deployment: string): Promise<RemoteSandboxSummary[]> {
    const runtime = await this.runtime();
    const summaries: RemoteSandboxSummary[] = [];
    for (const info of await call('list boxes', () => runtime.listInfo())) {
      const tags = tagsFromBoxName(info.name, deployment);
      if (tags) summaries.push({ sandboxId: info.id, tags });
    }
    return summaries;
  }

  private get image(): string {
    return this.options.image ?? DEFAULT_BOXLITE_IMAGE;
  }

  private async ready(box: JsBox): Promise<LiteboxMachine> {
    const info = await call('box info', () => box.info());
    if (!info.state.running) await call('start box', () => box.start());
    return new LiteboxMachine(box);
  }

  /** The embedded runtime, loaded on first use (the native module is ~100 MB; other providers never load it). */
  private runtime(): Promise<Boxlite> {
    this.runtimePromise ??= (async () => {
      await mkdir(this.options.homeDir, { recursive: true });
      const { JsBoxlite } = await import('@boxlite-ai/boxlite');
      return new JsBoxlite({ homeDir: this.options.homeDir });
    })();
    return this.runtimePromise;
  }
}

class LiteboxMachine implements RemoteMachine {
  readonly workdir = BOXLITE_WORKDIR;
  readonly sandboxId: string;

  constructor(private readonly box: JsBox) {
    this.sandboxId = box.id;
  }

  async run(command: string, options: RemoteRunOptions): Promise<{ exitCode: number }> {
    const execution = await this.start(['-c', command], { cwd: this.workdir, timeoutMs: options.timeoutMs });
    await execution.stdin().then((stdin) => stdin.close()).catch(() => {});
    return { exitCode: await pump(execution, options) };
  }

  async upload(filePath: string, data: Buffer): Promise<void> {
    const execution = await this.start(['-c', UPLOAD_SCRIPT, 'oma-upload', filePath], { cwd: '/', timeoutMs: 120_000 });
    const stdin = await execution.stdin();
    await stdin.write(data);
    await stdin.close();
    const stderr: Buffer[] = [];
    const exitCode = await pump(execution, { timeoutMs: 120_000, onStdout: () => {}, onStderr: (chunk) => stderr.push(chunk) });
    if (exitCode !== 0) throw new RemoteProviderError({ provider: PROVIDER, message: `upload ${filePath}: ${Buffer.concat(stderr).toString('utf8').trim() || `exit code ${exitCode}`}`, retryable: false });
  }

  async download(filePath: string): Promise<Buffer | undefined> {
    const result = await this.capture(DOWNLOAD_SCRIPT, { cwd: '/', args: ['oma-download', filePath] });
    if (result.exitCode === EXIT_NOT_FOUND) return undefined;
    if (result.exitCode !== 0) throw new RemoteProviderError({ provider: PROVIDER, message: `download ${filePath}: ${result.stderr || `exit code ${result.exitCode}`}`, retryable: false });
    return Buffer.from(result.stdout.trim(), 'base64');
  }

  /** Runs a script and collects its output (for the driver's own small commands). */
  async capture(script: string, options: { cwd: string; args?: string[] }): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const execution = await this.start(['-c', script, ...(options.args ?? [])], { cwd: options.cwd, timeoutMs: 120_000 });
    await execution.stdin().then((stdin) => stdin.close()).catch(() => {});
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const exitCode = await pump(execution, { timeoutMs: 120_000, onStdout: (chunk) => out.push(chunk), onStderr: (chunk) => err.push(chunk) });
    return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8').trim() };
  }

  private start(args: string[], options: { cwd: string; timeoutMs: number }): Promise<JsExecution> {
    return call('exec', () => this.box.exec('bash', args, null, false, null, Math.ceil(options.timeoutMs / 1000) + 30, options.cwd));
  }
}

/** Streams an execution's stdout and stderr to the callbacks and resolves with its exit code. */
async function pump(execution: JsExecution, options: RemoteRunOptions): Promise<number> {
  const drain = async (stream: Promise<{ next(): Promise<string | null> }>, sink: (chunk: Buffer) => void): Promise<void> => {
    const reader = await stream;
    for (let chunk = await reader.next(); chunk !== null; chunk = await reader.next()) sink(Buffer.from(chunk, 'utf8'));
  };
  const streams = Promise.all([drain(execution.stdout(), options.onStdout), drain(execution.stderr(), options.onStderr)]);
  const result = await call('wait', () => execution.wait());
  await streams.catch(() => {});
  return result.exitCode;
}

/** The box's outbound policy for the session's networking. */
export function liteboxNetwork(network: RemoteNetwork): NonNullable<JsBoxOptions['network']> {
  switch (network.mode) {
    case 'none':
      return { outbound: { mode: 'disabled' } };
    case 'proxy-only':
      return { outbound: { mode: 'enabled', allowNet: [network.proxy.host] } };
    case 'unrestricted':
      return { outbound: { mode: 'enabled' } };
  }
}

/**
 * Runs a runtime call; its errors (plain Errors from the native module) become RemoteProviderError
 * with the runtime's message. Not retryable: the runtime is local, so a failure (a VM that does not
 * boot, a missing image) is not a network blip that trying again cures.
 */
async function call<T>(operation: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (cause) {
    if (cause instanceof RemoteProviderError) throw cause;
    const message = (cause as Error).message ?? String(cause);
    throw new RemoteProviderError({ provider: PROVIDER, message: `${operation}: ${message}`, retryable: false, cause });
  }
}

function refusal(message: string, cause?: unknown): RemoteProviderError {
  return new RemoteProviderError({ provider: PROVIDER, message, retryable: false, cause });
}
