/**
 * The `Sandbox` every local provider shares. A provider only says how to start `bash` with some
 * arguments (directly, or inside bwrap); commands, the persistent shell, file operations and
 * process tracking are the same for all of them, so the agent sees the same behaviour everywhere.
 */
import path from 'node:path';
import { SandboxError, type DirEntry, type ExecOptions, type ExecResult, type Sandbox, type SandboxMount, type ShellResult } from '../sandbox.ts';
import { isEnvironmentName } from './environment.ts';
import { readFileInSandbox, writeFileInSandbox, listInSandbox } from './sandbox-files.ts';
import { ProcessSet } from './process-set.ts';
import type { ProcessLedger } from './process-ledger.ts';
import { REPORT_FD, runProcess, startProcess, type LaunchSpec, type RawResult, type RunOptions } from './run-process.ts';
import { callMessage, canPrestartWith, PARK_SCRIPT, PrestartedLaunches } from './prestart.ts';
import { quoteShellWord } from './shell-quote.ts';
import { SHELL_STATE_FILES, SHELL_STATE_SCRIPT, STATE_DIRECTORY_NAME } from './shell-script.ts';

/** Default wall-clock limit of one command, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** Default cap on stdout+stderr kept from one command, in bytes. */
export const DEFAULT_MAX_OUTPUT_BYTES = 100 * 1024;
/** Bytes kept from the end of the report pipe: enough for a few paths of any length Linux allows. */
const REPORT_LIMIT_BYTES = 64 * 1024;

/** What a provider supplies: how to start `bash` for one session. */
export interface BashLauncher {
  readonly provider: string;
  /** The workdir as the agent sees it. */
  readonly workdir: string;
  /**
   * Builds the process to start for `bash <args>`, with the per-call variables on top of the
   * scrubbed base. `network` is true for the agent's own commands (exec, shell), false for the
   * sandbox's internal file and state operations, which never need the network. The spec may
   * hold open files (`passedFiles`); `runProcess` closes them.
   */
  createLaunchSpec(bashArgs: string[], env: Record<string, string>, options: { network: boolean }): Promise<LaunchSpec>;
  /**
   * The environment `createLaunchSpec` gives a launch with these per-call variables. A launcher
   * that has it gets prestarted launches (prestart.ts), unless `prestart` is false.
   */
  environment?(env: Record<string, string>): Record<string, string>;
  readonly prestart?: boolean;
  /** Where running process groups are recorded for cleanup after a crash (providers whose processes outlive the server). */
  readonly ledger?: ProcessLedger;
}

/** Internal options of one bash run (public `ExecOptions` plus the operation name for errors). */
export interface BashRunOptions extends ExecOptions {
  operation: string;
  /** Give the command the session's network, if it has one. Default false. */
  network?: boolean;
  /** Open the report pipe (fd REPORT_FD) and return what the command wrote there. Default false. */
  report?: boolean;
}

export class CommandSandbox implements Sandbox {
  readonly sessionId: string;
  readonly workdir: string;
  /** The session's running process trees; the provider kills them on stop/destroy/shutdown. */
  readonly processes = new ProcessSet();
  private readonly launcher: BashLauncher;
  private readonly stateDirectory: string;
  /** Launches started ahead of the next call (prestart.ts); undefined when the launcher cannot tell its environment. */
  private readonly prestarted: PrestartedLaunches | undefined;
  /** The refill scheduled after the last call (see runBash). */
  private refilling: Promise<void> = Promise.resolve();
  /** Set by a provider whose launches take the mounts (bwrap). */
  applyMounts?: (mounts: SandboxMount[]) => Promise<void>;

  constructor(options: { sessionId: string; launcher: BashLauncher }) {
    this.sessionId = options.sessionId;
    this.launcher = options.launcher;
    this.workdir = options.launcher.workdir;
    this.stateDirectory = path.posix.join(this.workdir, STATE_DIRECTORY_NAME);
    const launcher = options.launcher;
    if (launcher.environment && launcher.prestart !== false) {
      this.prestarted = new PrestartedLaunches(async (network) => {
        const spec = await launcher.createLaunchSpec(['-c', PARK_SCRIPT], {}, { network });
        const process = startProcess(spec, { processes: this.processes, ledger: launcher.ledger, stdin: true, report: { maxBytes: REPORT_LIMIT_BYTES }, control: true });
        return { process, env: spec.env };
      });
    }
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.runBash(['-c', withCwd(command, options.cwd)], { ...options, operation: 'exec', network: true });
    return toExecResult(raw);
  }

  async shell(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    const callEnv = Object.keys(options.env ?? {}).filter(isEnvironmentName);
    const args = ['-c', SHELL_STATE_SCRIPT, 'oma-shell', this.stateDirectory, withCwd(command, options.cwd), ...callEnv];
    const raw = await this.runBash(args, { ...options, operation: 'shell', network: true, report: true });
    return { ...toExecResult(raw), cwd: this.findReportedCwd(raw.report) };
  }

  async restartShell(): Promise<void> {
    const script = 'cd -- "$1" 2>/dev/null || exit 0; shift; rm -f -- "$@"';
    const raw = await this.runBash(['-c', script, 'oma-restart', this.stateDirectory, ...SHELL_STATE_FILES], { operation: 'restartShell' });
    if (raw.exitCode !== 0) throw this.error('restartShell', `Could not reset the shell state: ${raw.stderr.toString('utf8').trim()}`);
  }

  readFile(filePath: string): Promise<Buffer> {
    return readFileInSandbox(this, filePath);
  }

  writeFile(filePath: string, data: string | Buffer): Promise<void> {
    return writeFileInSandbox(this, filePath, data);
  }

  list(directoryPath: string): Promise<DirEntry[]> {
    return listInSandbox(this, directoryPath);
  }

  async stop(): Promise<void> {
    this.prestarted?.discard();
    await this.processes.killAll();
  }

  /**
   * Kills the launches started ahead (prestart.ts): what they were built from changed (the
   * provider's mounts). Launches being started now are killed when they are.
   */
  discardPrestarted(): void {
    this.prestarted?.discard();
  }

  /** Settles once the launches being started ahead are ready (the bench waits for it between calls). */
  async settled(): Promise<void> {
    await this.refilling;
    await this.prestarted?.settled();
  }

  /** Host pids of the launches waiting for a call (prestart.ts): processes of the session that belong to no command. */
  prestartedPids(): number[] {
    return this.prestarted?.pids() ?? [];
  }

  private scheduleRefill(network: boolean, epoch: number): void {
    this.refilling = new Promise((resolve) =>
      setImmediate(() => {
        this.prestarted?.refill(network, epoch);
        resolve();
      }),
    );
  }

  /** Runs `bash <args>` in the sandbox and returns raw bytes. Throws SandboxError if it cannot start. */
  async runBash(args: string[], options: BashRunOptions): Promise<RawResult> {
    const network = options.network ?? false;
    const run: RunOptions = {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      signal: options.signal,
      stdin: options.stdin,
      processes: this.processes,
      ledger: this.launcher.ledger,
      report: options.report ? { maxBytes: REPORT_LIMIT_BYTES } : undefined,
    };
    const epoch = this.prestarted?.epoch;
    let spec: LaunchSpec | undefined;
    try {
      const result = (await this.runPrestarted(args, options.env ?? {}, network, run)) ?? (await runProcess((spec = await this.launcher.createLaunchSpec(withOnlyOwnFds(args), options.env ?? {}, { network })), run));
      // The next launch starts once this call is over and its caller has the result, so that it does
      // not compete with the call for the CPU (a spawn blocks the event loop for a few ms).
      if (epoch !== undefined) this.scheduleRefill(network, epoch);
      return result;
    } catch (cause) {
      if (cause instanceof SandboxError) throw cause;
      throw this.error(options.operation, `Could not start the sandbox command (${spec?.file ?? this.launcher.provider}): ${(cause as Error).message}`, cause);
    }
  }

  /** Runs the call in the launch started ahead for `network`, if there is one it can take (prestart.ts). */
  private async runPrestarted(args: string[], env: Record<string, string>, network: boolean, run: RunOptions): Promise<RawResult | undefined> {
    if (!this.prestarted || !this.launcher.environment || run.signal?.aborted || !canPrestartWith(env)) return undefined;
    if (args[0] !== '-c' || args.some((arg) => arg.includes('\0'))) return undefined;
    const target = this.launcher.environment(env);
    const launch = await this.prestarted.take(network);
    if (!launch) return undefined;
    const message = callMessage(args, launch.env, target, run.report !== undefined);
    if (!message) {
      launch.process.kill();
      return undefined;
    }
    // Undefined when the launch died before it read the call: the caller starts it fresh.
    return launch.process.run(run, message);
  }

  /** Builds a SandboxError about this sandbox. */
  error(operation: string, message: string, cause?: unknown): SandboxError {
    return new SandboxError({ provider: this.launcher.provider, operation, sandboxId: this.sessionId, message, cause });
  }

  /**
   * The shell's cwd from its report (NUL-framed records, see shell-script.ts): the last record,
   * written by the EXIT trap after the command, or the one from the start if the command was
   * killed. Anything that is not an absolute path (no report: bash did not start) means the workdir.
   */
  private findReportedCwd(report: Buffer): string {
    const records = report.toString('utf8').split('\0').filter((record) => record !== '');
    const cwd = records.at(-1);
    return cwd?.startsWith('/') ? cwd : this.workdir;
  }
}

/**
 * First thing every sandbox bash does: close every file descriptor but stdin/out/err and the report
 * pipe. A descriptor the server inherited from its own parent without close-on-exec (a supervisor's
 * socket, an open file) would otherwise be open in every command, bwrap's included (bwrap passes
 * descriptors through). Builtins only, so it costs no process; without /proc nothing matches. No
 * redirection around the loop: bash would park the real stderr on a high descriptor meanwhile, and
 * the loop would close it.
 */
const CLOSE_INHERITED_FDS =
  `for __oma_fd in /proc/self/fd/*; do __oma_fd=\${__oma_fd##*/}; ` +
  `if [[ $__oma_fd =~ ^[0-9]+$ ]] && (( __oma_fd > 2 && __oma_fd != ${REPORT_FD} )) && [[ -e /proc/self/fd/$__oma_fd ]]; then exec {__oma_fd}>&-; fi; done; unset -v __oma_fd\n`;

function withOnlyOwnFds(args: string[]): string[] {
  return args[0] === '-c' && args[1] !== undefined ? ['-c', CLOSE_INHERITED_FDS + args[1], ...args.slice(2)] : args;
}

/** `command` run in `cwd` (when given), failing if it cannot change there. Shared with remote sandboxes. */
export function withCwd(command: string, cwd: string | undefined): string {
  return cwd === undefined ? command : `cd -- ${quoteShellWord(cwd)} || exit 1\n${command}`;
}

/** A finished command's raw output as the port's ExecResult. Shared with remote sandboxes. */
export function toExecResult(raw: Pick<RawResult, 'exitCode' | 'signal' | 'stdout' | 'stderr' | 'timedOut' | 'aborted' | 'truncatedBytes'>): ExecResult {
  return {
    exitCode: raw.exitCode,
    signal: raw.signal,
    stdout: raw.stdout.toString('utf8'),
    stderr: raw.stderr.toString('utf8'),
    timedOut: raw.timedOut,
    aborted: raw.aborted,
    truncatedBytes: raw.truncatedBytes,
  };
}
