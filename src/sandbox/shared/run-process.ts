/**
 * Runs one sandboxed process tree: its own process group, a wall-clock timeout, an abort signal,
 * a shared output budget and optional stdin. Killing always takes the whole tree, never just the
 * direct child, so a `sleep` started in the background does not outlive its command.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import { OutputCollector, TailCollector } from './output-collector.ts';
import type { ProcessSet, RunningProcess } from './process-set.ts';
import type { ProcessLedger } from './process-ledger.ts';
import type { CommandDescendants } from './descendants.ts';
import { ProcessTree } from './process-tree.ts';

export { killQuietly } from './process-tree.ts';

/** How to start the process; built by a provider. */
export interface LaunchSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Host directory the launcher starts in. */
  cwd: string;
  /**
   * User and group the launcher runs as (the server must be root); it also drops every
   * supplementary group. Undefined: the server's own.
   */
  uid?: number;
  gid?: number;
  /**
   * The launcher writes `{"child-pid": N}` to fd INFO_FD (bwrap `--info-fd`). Killing that pid (the
   * pid-namespace init) tears the namespace down and lets the launcher exit and reap normally.
   */
  infoFd?: boolean;
  /**
   * Runs on the host before the command proper starts, once the launcher has reported its
   * namespace pid (needs `infoFd`) and has written one byte on fd GATE_FD (it is ready); then one
   * byte is written back on that fd, on which the launcher waits (bwrap's network gate). The returned
   * helper (e.g. the network) is killed when the command ends. A rejection kills the command
   * before it starts, and `runProcess` rejects with that error.
   */
  beforeStart?: (namespacePid: number) => Promise<RunningProcess>;
  /**
   * Open host files handed to the launcher at fds `FIRST_PASSED_FILE_FD`, … in order (bwrap
   * `--file`, which copies and closes them). `runProcess` closes its own handles once the child
   * has them, also when it does not start.
   */
  passedFiles?: FileHandle[];
  /**
   * Finds the command's descendants again (a cgroup, else a scan): they are killed when the command
   * ends or is killed, even those that left its process group (setsid). Providers without a pid
   * namespace of their own (subprocess) set it.
   */
  descendants?: CommandDescendants;
}

/** Where the launcher finds bwrap's info pipe (`infoFd`). */
export const INFO_FD = 3;
/** The network gate's pipe (`beforeStart`). */
export const GATE_FD = 4;
/** The report pipe (`RunOptions.report`): what the sandboxed script tells the server besides its output. */
export const REPORT_FD = 5;
/** A prestarted launch's control pipe (prestart.ts): the call arrives there. */
export const CONTROL_FD = 6;
/** The first of `LaunchSpec.passedFiles`. */
export const FIRST_PASSED_FILE_FD = 7;

export interface RunOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  stdin?: string | Buffer;
  /** The session's set of running processes, for stop/destroy/shutdown. */
  processes?: ProcessSet;
  /** Records the process group on disk while it runs, so a boot after a crash can kill it. */
  ledger?: ProcessLedger;
  /**
   * Open a pipe at `REPORT_FD` and return its last `maxBytes` bytes as `RawResult.report`. The
   * command itself can write to it too, so its content is the command's claim, never trusted data.
   */
  report?: { maxBytes: number };
}

export interface RawResult {
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  aborted: boolean;
  truncatedBytes: number;
  /** The tail of the report pipe (`RunOptions.report`); empty without it. */
  report: Buffer;
}

/** Starts the process and resolves when it and its output are finished. Rejects only if it cannot start. */
export function runProcess(spec: LaunchSpec, options: RunOptions): Promise<RawResult> {
  if (options.signal?.aborted) {
    closePassedFiles(spec);
    return Promise.resolve(abortedBeforeStart());
  }
  const started = startProcess(spec, { ...options, stdin: options.stdin !== undefined });
  return started.run(options);
}

/** How `startProcess` opens the process's descriptors and where it books it. */
export interface StartOptions {
  processes?: ProcessSet;
  ledger?: ProcessLedger;
  /** Give it a stdin pipe (else /dev/null). */
  stdin: boolean;
  /** Open the report pipe at REPORT_FD and keep its last `maxBytes` bytes. */
  report?: { maxBytes: number };
  /** Open the control pipe at CONTROL_FD (a prestarted launch, prestart.ts). */
  control?: boolean;
}

/**
 * A spawned process whose command may not have been handed over yet (a prestarted launch waits on
 * its control pipe). From the spawn on it is booked (ledger, the session's ProcessSet) and its
 * helpers and descendants are tracked, so stop/shutdown and crash cleanup take it like any
 * command; `run` adds what belongs to one call: the output budget, the timeout, the abort signal,
 * stdin and the control message.
 */
export class StartedProcess {
  readonly child: ChildProcess;
  private readonly tree: ProcessTree;
  private readonly starting: HelperStart;
  private readonly report: TailCollector | undefined;
  private readonly spawnError: Promise<Error>;
  private closed = false;
  private running = false;
  private onClose: ((code: number | null, signal: string | null) => void) | undefined;
  /** A prestarted launch has read its call (it wrote `a` on the control pipe). */
  private accepted = false;
  /** With `control`: true once the process said it is ready for its call (one byte on CONTROL_FD), false if it ended first. */
  readonly ready: Promise<boolean>;

  constructor(spec: LaunchSpec, private readonly options: StartOptions) {
    const child = spawnChild(spec, options);
    this.child = child;
    this.tree = new ProcessTree(child, spec.descendants);
    this.report = options.report && new TailCollector((child.stdio as unknown[])[REPORT_FD] as Readable, options.report.maxBytes);
    // A prestarted launch's helper (its network) starts with its call, not before: between calls a
    // session has no slirp4netns running (prestart.ts).
    this.starting = watchStart(spec, child, this.tree, options.control === true);
    this.spawnError = new Promise((resolve) => child.once('error', resolve));
    const control = options.control ? ((child.stdio as unknown[])[CONTROL_FD] as Duplex) : undefined;
    control?.on('error', () => undefined);
    // Ready: waiting for its call on the control pipe; or, with a held helper, at the gate, which
    // comes after the namespace is built (bwrap's network gate).
    // The launch writes `r` when it waits for its call and `a` once it has read it (prestart.ts).
    let parked: () => void = () => undefined;
    control?.on('data', (chunk: Buffer) => {
      if (chunk.includes(0x72)) parked();
      if (chunk.includes(0x61)) this.accepted = true;
    });
    const waiting = spec.beforeStart ? this.starting.gateReached : new Promise<void>((resolve) => (parked = resolve));
    this.ready = control ? Promise.race([waiting.then(() => true), this.ended.then(() => false)]) : Promise.resolve(true);
    const pid = child.pid;
    if (pid === undefined) return;
    options.ledger?.record(pid);
    options.processes?.add(this.tree);
    child.once('exit', () => {
      this.tree.onExit();
      // Nobody reads the output of a launch that ended before its call: drain it so the pipes close.
      if (!this.running) for (const stream of [child.stdout, child.stderr]) stream?.resume();
    });
    child.once('close', (code, signal) => {
      this.closed = true;
      options.processes?.delete(this.tree);
      options.ledger?.release(pid);
      if (this.onClose) this.onClose(code, signal);
      else void this.starting.done.then(() => this.tree.settle());
    });
  }

  /** True while the process can still take a call: not ended, not killed, not yet run. */
  get available(): boolean {
    return !this.running && !this.closed && !this.tree.killed && !this.tree.hasExited && this.child.pid !== undefined;
  }

  /** The launcher's pid and, once reported, its namespace init's. */
  get pids(): number[] {
    return [this.child.pid, this.tree.namespacePid].filter((pid): pid is number => pid !== undefined);
  }

  /** Settles when the process has ended (or failed to spawn). */
  get ended(): Promise<void> {
    return Promise.race([this.tree.done, this.spawnError.then(() => undefined)]);
  }

  /** Kills the whole tree. */
  kill(): void {
    this.tree.kill();
  }

  /**
   * The call: collects output under `maxOutputBytes`, arms the timeout and the abort signal, writes
   * stdin and `control` (on CONTROL_FD), and resolves once the process and its helpers are finished.
   * Called at most once.
   */
  run(options: RunOptions): Promise<RawResult>;
  /**
   * With `control` (a prestarted launch): resolves undefined when the launch ended without having
   * read its call and nobody killed it (it died while it waited): the command never ran, and the
   * caller may start it elsewhere.
   */
  run(options: RunOptions, control: Buffer): Promise<RawResult | undefined>;
  run(options: RunOptions, control?: Buffer): Promise<RawResult | undefined> {
    if (this.running) throw new Error('A started process runs one call only');
    this.running = true;
    const { child, tree } = this;
    return new Promise((resolve, reject) => {
      const collector = new OutputCollector(options.maxOutputBytes);
      child.stdout!.on('data', (chunk: Buffer) => collector.add('stdout', chunk));
      child.stderr!.on('data', (chunk: Buffer) => collector.add('stderr', chunk));
      const state = { timedOut: false, aborted: false };
      const timer = setTimeout(() => {
        state.timedOut = true;
        tree.kill();
      }, options.timeoutMs);
      const onAbort = (): void => {
        state.aborted = true;
        tree.kill();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // Aborted while a prestarted launch was being taken: it never runs the command.
      if (options.signal?.aborted) onAbort();
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      void this.spawnError.then((error) => {
        cleanup();
        reject(error);
      });
      if (child.pid === undefined) return;
      if (this.options.stdin) writeStdin(child, options.stdin ?? Buffer.alloc(0));
      if (control) writeControl(child, control);
      this.starting.release();
      this.onClose = (code, signal) => {
        cleanup();
        const killed = tree.killed;
        if (control && !this.accepted && !killed) {
          void this.starting.done.then(() => tree.settle()).then(() => resolve(undefined));
          return;
        }
        const result: RawResult = {
          exitCode: killed ? null : code,
          signal: killed ? 'SIGKILL' : signal,
          stdout: collector.stdout(),
          stderr: collector.stderr(),
          timedOut: state.timedOut,
          aborted: state.aborted,
          truncatedBytes: collector.droppedBytes,
          report: options.report && this.report ? this.report.bytes() : Buffer.alloc(0),
        };
        // The helpers (network) must be gone before the command counts as finished, so that stop,
        // destroy and shutdown leave no process behind.
        void this.starting.done
          .then(() => tree.settle())
          .then(() => (this.starting.failure === undefined ? resolve(result) : reject(this.starting.failure)));
      };
      if (this.closed) this.onClose(child.exitCode, child.signalCode);
    });
  }
}

/** Spawns `spec` (see StartedProcess). */
export function startProcess(spec: LaunchSpec, options: StartOptions): StartedProcess {
  return new StartedProcess(spec, options);
}

/** Where the helper started by `beforeStart` stands: settled `done`, and its error if it failed. */
interface HelperStart {
  done: Promise<void>;
  failure: unknown;
  /** Settles when the helper could start (the namespace pid and the gate's byte are in); at once without a helper. */
  gateReached: Promise<void>;
  /** Lets a held helper start (`hold`); no-op otherwise. */
  release(): void;
}

/**
 * Reads the namespace pid from the info fd and, for a launch with `beforeStart`, starts the
 * helper once both the pid and the gate's ready byte (fd GATE_FD) have arrived.
 */
function watchStart(spec: LaunchSpec, child: ChildProcess, tree: ProcessTree, hold: boolean): HelperStart {
  const beforeStart = spec.beforeStart;
  const gate = beforeStart && (child.stdio[GATE_FD] as Duplex);
  let namespacePid: number | undefined;
  let gateReady = false;
  let held = hold;
  let started = false;
  let reached: () => void = () => undefined;
  const starting: HelperStart = {
    failure: undefined,
    done: Promise.resolve(),
    gateReached: gate ? new Promise((resolve) => (reached = resolve)) : Promise.resolve(),
    release: () => {
      held = false;
      startWhenReady();
    },
  };
  const startWhenReady = (): void => {
    if (!beforeStart || !gate || namespacePid === undefined || !gateReady) return;
    reached();
    if (held || started) return;
    started = true;
    starting.done = startHelper(tree, gate, beforeStart(namespacePid)).catch((error: unknown) => {
      // A helper that fails because the command was already stopped (timeout, abort, stop) is
      // not the command's failure: the caller gets the killed result instead.
      if (tree.killed) return;
      starting.failure = error;
      tree.kill();
    });
  };
  if (spec.infoFd) {
    tree.readInfo(child.stdio[INFO_FD] as NodeJS.ReadableStream, (pid) => {
      namespacePid = pid;
      startWhenReady();
    });
  }
  if (gate) {
    gate.on('error', () => undefined);
    gate.once('data', () => {
      gateReady = true;
      startWhenReady();
    });
  }
  return starting;
}

/** Waits for the helper, then lets the command start (one byte on the gate); kills the helper if the command is already gone. */
async function startHelper(tree: ProcessTree, gate: Duplex, helper: Promise<RunningProcess>): Promise<void> {
  const started = await helper;
  tree.addHelper(started);
  if (tree.killed || tree.hasExited) return;
  gate.end('g');
}

function abortedBeforeStart(): RawResult {
  return {
    exitCode: null,
    signal: null,
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    timedOut: false,
    aborted: true,
    truncatedBytes: 0,
    report: Buffer.alloc(0),
  };
}

/** Spawns the launcher with the fd layout above; closes the passed files once the child has its copies. */
function spawnChild(spec: LaunchSpec, options: StartOptions): ChildProcess {
  const stdio: StdioOptions = [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  stdio[INFO_FD] = spec.infoFd ? 'pipe' : 'ignore';
  stdio[GATE_FD] = spec.beforeStart ? 'pipe' : 'ignore';
  stdio[REPORT_FD] = options.report ? 'pipe' : 'ignore';
  stdio[CONTROL_FD] = options.control ? 'pipe' : 'ignore';
  (spec.passedFiles ?? []).forEach((file, index) => (stdio[FIRST_PASSED_FILE_FD + index] = file.fd));
  while (stdio.length > 3 && stdio.at(-1) === 'ignore') stdio.pop();
  try {
    // libuv calls setgroups(0, NULL) before setgid/setuid when either is set, so the launcher
    // keeps no supplementary group of the server.
    const launch = spec.descendants ? spec.descendants.wrap(spec.file, spec.args) : { file: spec.file, args: spec.args };
    const env = spec.descendants ? { ...spec.env, ...spec.descendants.env } : spec.env;
    return spawn(launch.file, launch.args, { cwd: spec.cwd, env, detached: true, stdio, uid: spec.uid, gid: spec.gid });
  } finally {
    closePassedFiles(spec);
  }
}

function closePassedFiles(spec: LaunchSpec): void {
  // Best-effort cleanup of read-only handles the child already holds copies of; a close error
  // cannot affect the command.
  for (const file of spec.passedFiles ?? []) void file.close().catch(() => undefined);
}

/** Hands a prestarted launch its call (it reads exactly what it is told, see prestart.ts). */
function writeControl(child: ChildProcess, message: Buffer): void {
  const control = (child.stdio as unknown[])[CONTROL_FD] as Duplex | undefined;
  if (!control) return;
  // A launch killed meanwhile has closed its end: the call then ends as killed, not as an error.
  control.on('error', () => undefined);
  control.end(message);
}

function writeStdin(child: ChildProcess, data: string | Buffer | undefined): void {
  if (data === undefined || !child.stdin) return;
  // A command that exits without reading its stdin makes the write fail with EPIPE; that is the
  // command's choice, not an error of ours.
  child.stdin.on('error', () => undefined);
  child.stdin.end(data);
}
