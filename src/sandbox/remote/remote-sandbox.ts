/**
 * The `Sandbox` of every remote provider, over a driver's `RemoteMachine`: the same persistent
 * shell and file scripts as the local providers (shell-script.ts, file-commands.ts), run through
 * the provider's command API. What the machine's API does not give uniformly is built here:
 * - each command runs under `setsid` with its pid in `<workdir>/.oma/run/<id>.pid`; a timeout,
 *   abort, stop or shutdown kills that process group by running `kill` on the machine;
 * - stdin is uploaded to a file first; the environment is passed with `env -i` (nothing of the
 *   machine's own environment or the server's reaches the command);
 * - the shell's cwd report (fd REPORT_FD) goes to a file that is downloaded after the call;
 * - the memory mounts are synced through the server around every operation (mount-sync.ts).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { SandboxError, type DirEntry, type ExecOptions, type ExecResult, type Sandbox, type SandboxMount, type ShellResult } from '../sandbox.ts';
import { mountVariables } from '../shared/mounts.ts';
import { createSandboxEnvironment, isEnvironmentName } from '../shared/environment.ts';
import { OutputCollector } from '../shared/output-collector.ts';
import { REPORT_FD } from '../shared/run-process.ts';
import { quoteShellWord } from '../shared/shell-quote.ts';
import { SHELL_STATE_FILES, SHELL_STATE_SCRIPT, STATE_DIRECTORY_NAME } from '../shared/shell-script.ts';
import { EXIT_NOT_FOUND, EXIT_WRONG_TYPE, LIST_SCRIPT, READ_FILE_LIMIT_BYTES } from '../shared/file-commands.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS, toExecResult, withCwd } from '../shared/command-sandbox.ts';
import { RemoteProviderError, type RemoteMachine } from './driver.ts';
import type { MountSync } from './mount-sync.ts';
import { withRetry } from './retry.ts';

/** How long a command may take to come back after its process group was killed. */
const KILL_GRACE_MS = 15_000;
/** Backstop the provider is given on top of the command's own timeout. */
const PROVIDER_SLACK_MS = 30_000;
const FILE_TIMEOUT_MS = 60_000;
const ENTRY_TYPES: Record<string, DirEntry['type']> = { f: 'file', d: 'directory', l: 'symlink' };

interface RawRun {
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  aborted: boolean;
  truncatedBytes: number;
  report: Buffer;
}

interface RunOptions extends ExecOptions {
  operation: string;
  network?: boolean;
  report?: boolean;
}

export interface RemoteSandboxOptions {
  provider: string;
  sessionId: string;
  machine: RemoteMachine;
  /** Variables networked commands get (the egress proxy's), already for the machine's view. */
  egressEnv: Record<string, string>;
  mounts: MountSync;
  /** The mount list `mounts` was built from (for the OMA_*_DIR variables). */
  mountList: SandboxMount[];
  /** Called when an operation starts and ends (idle timeout clock, provider keep-alive). */
  onUse(): void;
}

export class RemoteSandbox implements Sandbox {
  readonly sessionId: string;
  readonly workdir: string;
  private readonly machine: RemoteMachine;
  private readonly runDir: string;
  private readonly stateDir: string;
  /** Commands in flight: id → set when something killed it (stop, shutdown). */
  private readonly running = new Map<string, { killed: boolean }>();
  private mountList: SandboxMount[];
  /** Serialises the mount sync with the operations that need it. */
  private syncChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RemoteSandboxOptions) {
    this.sessionId = options.sessionId;
    this.machine = options.machine;
    this.workdir = options.machine.workdir;
    this.stateDir = path.posix.join(this.workdir, STATE_DIRECTORY_NAME);
    this.runDir = path.posix.join(this.stateDir, 'run');
    this.mountList = options.mountList;
  }

  /** The session's current mounts (the harness reopens with them at each turn): the machine's copy follows. */
  async applyMounts(mounts: SandboxMount[]): Promise<void> {
    this.mountList = mounts;
    await this.serial(() => this.provider('sync', () => this.options.mounts.replace(mounts)));
  }

  get sandboxId(): string {
    return this.machine.sandboxId;
  }

  /** The number of commands running now (the idle sweep leaves busy sandboxes alone). */
  get busy(): boolean {
    return this.running.size > 0;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.withMounts(async () => toExecResult(await this.runBash(['-c', withCwd(command, options.cwd)], { ...options, operation: 'exec', network: true })));
  }

  async shell(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    return this.withMounts(async () => {
      const callEnv = Object.keys(options.env ?? {}).filter(isEnvironmentName);
      const args = ['-c', SHELL_STATE_SCRIPT, 'oma-shell', this.stateDir, withCwd(command, options.cwd), ...callEnv];
      const raw = await this.runBash(args, { ...options, operation: 'shell', network: true, report: true });
      return { ...toExecResult(raw), cwd: this.findReportedCwd(raw.report) };
    });
  }

  async restartShell(): Promise<void> {
    const script = 'cd -- "$1" 2>/dev/null || exit 0; shift; rm -f -- "$@"';
    const raw = await this.runBash(['-c', script, 'oma-restart', this.stateDir, ...SHELL_STATE_FILES], { operation: 'restartShell' });
    if (raw.exitCode !== 0) throw this.error('restartShell', `Could not reset the shell state: ${raw.stderr.toString('utf8').trim()}`);
  }

  async readFile(filePath: string): Promise<Buffer> {
    return this.withMounts(async () => {
      const absolute = this.resolve(filePath);
      const check = `if [ -d "$1" ]; then exit ${EXIT_WRONG_TYPE}; fi; if [ ! -e "$1" ]; then exit ${EXIT_NOT_FOUND}; fi; if [ ! -r "$1" ]; then echo "permission denied" >&2; exit 1; fi; stat -L -c %s -- "$1"`;
      const raw = await this.runBash(['-c', check, 'oma-stat', absolute], { operation: 'readFile', timeoutMs: FILE_TIMEOUT_MS });
      if (raw.exitCode === EXIT_NOT_FOUND) throw this.error('readFile', `File does not exist: ${filePath}`);
      if (raw.exitCode === EXIT_WRONG_TYPE) throw this.error('readFile', `Path is a directory, not a file: ${filePath}`);
      if (raw.exitCode !== 0) throw this.error('readFile', `Could not read ${filePath}: ${describeFailure(raw)}`);
      if (Number(raw.stdout.toString('utf8').trim()) > READ_FILE_LIMIT_BYTES) throw this.error('readFile', `File is larger than ${READ_FILE_LIMIT_BYTES} bytes and was not read: ${filePath}`);
      const data = await this.provider('readFile', () => withRetry(() => this.machine.download(absolute)));
      if (data === undefined) throw this.error('readFile', `File does not exist: ${filePath}`);
      return data;
    }, false);
  }

  async writeFile(filePath: string, data: string | Buffer): Promise<void> {
    return this.withMounts(async () => {
      const absolute = this.resolve(filePath);
      const readOnly = this.options.mounts.readOnlyMountOf(absolute);
      if (readOnly) throw this.error('writeFile', `${filePath} is in the read-only mount at ${readOnly}`);
      const raw = await this.runBash(['-c', `if [ -d "$1" ]; then exit ${EXIT_WRONG_TYPE}; fi`, 'oma-write', absolute], { operation: 'writeFile', timeoutMs: FILE_TIMEOUT_MS });
      if (raw.exitCode === EXIT_WRONG_TYPE) throw this.error('writeFile', `Path is a directory, not a file: ${filePath}`);
      if (raw.exitCode !== 0) throw this.error('writeFile', `Could not write ${filePath}: ${describeFailure(raw)}`);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      await this.provider('writeFile', () => withRetry(() => this.machine.upload(absolute, bytes)));
    });
  }

  async list(directoryPath: string): Promise<DirEntry[]> {
    return this.withMounts(async () => {
      const raw = await this.runBash(['-c', LIST_SCRIPT, 'oma-list', this.resolve(directoryPath)], { operation: 'list', timeoutMs: FILE_TIMEOUT_MS, maxOutputBytes: READ_FILE_LIMIT_BYTES });
      if (raw.exitCode === EXIT_NOT_FOUND) throw this.error('list', `Directory does not exist: ${directoryPath}`);
      if (raw.exitCode === EXIT_WRONG_TYPE) throw this.error('list', `Path is not a directory: ${directoryPath}`);
      if (raw.exitCode !== 0) throw this.error('list', `Could not list ${directoryPath}: ${describeFailure(raw)}`);
      return parseEntries(raw.stdout.toString('utf8'));
    }, false);
  }

  /** Kills every command of this session on the machine (also ones an earlier server process started). */
  async stop(): Promise<void> {
    for (const entry of this.running.values()) entry.killed = true;
    await this.killGroups('*');
  }

  /**
   * Runs `bash <args>` on the machine. Resolves with the outcome (timeouts and kills included);
   * rejects with SandboxError when the provider failed.
   */
  async runBash(args: string[], options: RunOptions): Promise<RawRun> {
    const id = randomBytes(8).toString('hex');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const output = new OutputCollector(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
    const state = { killed: false };
    let timedOut = false;
    let aborted = false;
    if (options.signal?.aborted) return { exitCode: null, signal: 'SIGKILL', stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false, aborted: true, truncatedBytes: 0, report: Buffer.alloc(0) };
    if (options.stdin !== undefined) {
      const stdin = options.stdin;
      const bytes = typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin;
      await this.provider(options.operation, () => withRetry(() => this.machine.upload(this.runFile(id, 'in'), bytes)));
    }
    const env = createSandboxEnvironment({
      home: this.workdir,
      tmpdir: path.posix.join(this.stateDir, 'tmp'),
      extra: { ...(options.network ? this.options.egressEnv : {}), ...mountVariables(this.mountList, (root) => root), ...options.env },
    });
    const command = this.wrap(id, args, env, { stdin: options.stdin !== undefined, report: options.report === true });
    this.running.set(id, state);
    this.options.onUse();
    // After a kill the provider gets KILL_GRACE_MS to report the end before the command is given up.
    let killing: Promise<void> | undefined;
    let giveUp: (value: undefined) => void = () => undefined;
    const gaveUp = new Promise<undefined>((resolve) => (giveUp = resolve));
    let graceTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      killing ??= this.killGroups(id).catch(() => undefined).then(() => {
        graceTimer = setTimeout(() => giveUp(undefined), KILL_GRACE_MS);
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const run = this.provider(options.operation, () =>
        this.machine.run(command, { timeoutMs: timeoutMs + PROVIDER_SLACK_MS, onStdout: (chunk) => output.add('stdout', chunk), onStderr: (chunk) => output.add('stderr', chunk) }),
      );
      const result = await Promise.race([run, gaveUp]);
      const killed = timedOut || aborted || state.killed;
      const report = options.report ? ((await this.machine.download(this.runFile(id, 'report')).catch(() => undefined)) ?? Buffer.alloc(0)) : Buffer.alloc(0);
      return {
        exitCode: killed ? null : (result?.exitCode ?? null),
        signal: killed ? 'SIGKILL' : null,
        stdout: output.stdout(),
        stderr: output.stderr(),
        timedOut,
        aborted,
        truncatedBytes: output.droppedBytes,
        report,
      };
    } finally {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      this.running.delete(id);
      this.options.onUse();
    }
  }

  /**
   * The command line sent to the provider: `setsid` puts the command in its own process group,
   * whose leader writes its pid first thing; `env -i` gives it exactly `env`.
   */
  private wrap(id: string, args: string[], env: Record<string, string>, io: { stdin: boolean; report: boolean }): string {
    const q = quoteShellWord;
    const assignments = Object.entries(env).map(([name, value]) => q(`${name}=${value}`)).join(' ');
    const stdin = io.stdin ? q(this.runFile(id, 'in')) : '/dev/null';
    const report = io.report ? ` ${REPORT_FD}>${q(this.runFile(id, 'report'))}` : '';
    return [
      `__oma_d=${q(this.runDir)}; __oma_i=${q(id)}`,
      `mkdir -p -- "$__oma_d" ${q(path.posix.join(this.stateDir, 'tmp'))} 2>/dev/null || { echo "cannot create $__oma_d" >&2; exit 125; }`,
      `find "$__oma_d" -maxdepth 1 -name '*.report' -mmin +10 -delete 2>/dev/null`,
      `cd -- ${q(this.workdir)} || exit 125`,
      `setsid -w env -i ${assignments} bash --noprofile --norc -c 'echo $$ > "$0"; exec "$@"' "$__oma_d/$__oma_i.pid" bash --noprofile --norc ${args.map(q).join(' ')} < ${stdin}${report}`,
      `__oma_s=$?; rm -f -- "$__oma_d/$__oma_i.pid" "$__oma_d/$__oma_i.in"; exit $__oma_s`,
    ].join('\n');
  }

  /** Kills the process group of command `id` (or every one, `*`), waiting briefly for a pid file not written yet. */
  private async killGroups(id: string): Promise<void> {
    const pattern = id === '*' ? `"$__oma_d"/*.pid` : `"$__oma_d/${id}.pid"`;
    const script = [
      `__oma_d=${quoteShellWord(this.runDir)}`,
      id === '*' ? '' : `for __oma_n in $(seq 50); do [ -s ${pattern} ] && break; sleep 0.1; done`,
      `for __oma_f in ${pattern}; do [ -s "$__oma_f" ] && kill -KILL -- -"$(cat -- "$__oma_f")" 2>/dev/null; rm -f -- "$__oma_f"; done; exit 0`,
    ].join('\n');
    await this.provider('kill', () => this.machine.run(script, { timeoutMs: 30_000, onStdout: () => undefined, onStderr: () => undefined }));
  }

  private runFile(id: string, kind: 'in' | 'report'): string {
    return path.posix.join(this.runDir, `${id}.${kind}`);
  }

  private resolve(p: string): string {
    return path.posix.resolve(this.workdir, p);
  }

  /**
   * Runs `operation` with the mounts brought up to date first and, when `pullAfter`, the
   * machine's changes in them downloaded back before it resolves (the memory sync then sees
   * them in the host directories, before the tool result is committed).
   */
  private async withMounts<T>(operation: () => Promise<T>, pullAfter = true): Promise<T> {
    const mounts = this.options.mounts;
    if (mounts.isEmpty) return operation();
    await this.serial(() => this.provider('sync', () => mounts.push()));
    try {
      return await operation();
    } finally {
      if (pullAfter) await this.serial(() => this.provider('sync', () => mounts.pull()));
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.syncChain.then(task, task);
    this.syncChain = next.catch(() => undefined);
    return next;
  }

  /** Provider failures as SandboxError with the provider's message. */
  private async provider<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (cause) {
      if (cause instanceof SandboxError) throw cause;
      const message = cause instanceof RemoteProviderError ? cause.message : (cause as Error).message;
      throw this.error(operation, `${this.options.provider} sandbox ${this.machine.sandboxId}: ${message}`, cause);
    }
  }

  error(operation: string, message: string, cause?: unknown): SandboxError {
    return new SandboxError({ provider: this.options.provider, operation, sandboxId: this.sessionId, message, cause });
  }

  private findReportedCwd(report: Buffer): string {
    const records = report.toString('utf8').split('\0').filter((record) => record !== '');
    const cwd = records.at(-1);
    return cwd?.startsWith('/') ? cwd : this.workdir;
  }
}

function parseEntries(output: string): DirEntry[] {
  const entries: DirEntry[] = [];
  for (const record of output.split('\0')) {
    const [kind, size, mtime, ...name] = record.split('\t');
    if (name.length === 0) continue;
    entries.push({ name: name.join('\t'), type: ENTRY_TYPES[kind] ?? 'other', size: Number(size), mtimeMs: Math.round(Number(mtime) * 1000) });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function describeFailure(raw: { exitCode: number | null; stderr: Buffer; timedOut: boolean }): string {
  if (raw.timedOut) return `timed out after ${FILE_TIMEOUT_MS} ms`;
  const stderr = raw.stderr.toString('utf8').trim();
  return stderr || `exit code ${raw.exitCode}`;
}
