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
/** The first of `LaunchSpec.passedFiles`. */
export const FIRST_PASSED_FILE_FD = 6;

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

/**
 * How long to wait for stdout/stderr to close after the command and its process group are gone.
 * A process that escaped the group (setsid, subprocess mode only) may hold the pipes open; after
 * this grace period the pipes are closed on our side rather than waiting for it forever.
 */
const PIPE_CLOSE_GRACE_MS = 1_000;

/** Sends SIGKILL, ignoring "no such process" (the target already exited). */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Starts the process and resolves when it and its output are finished. Rejects only if it cannot start. */
export function runProcess(spec: LaunchSpec, options: RunOptions): Promise<RawResult> {
  if (options.signal?.aborted) {
    closePassedFiles(spec);
    return Promise.resolve(abortedBeforeStart());
  }
  return new Promise((resolve, reject) => {
    const child = spawnChild(spec, options);
    const tree = new ProcessTree(child, spec.descendants);
    const collector = new OutputCollector(options.maxOutputBytes);
    child.stdout!.on('data', (chunk: Buffer) => collector.add('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => collector.add('stderr', chunk));
    const report = options.report && new TailCollector((child.stdio as unknown[])[REPORT_FD] as Readable, options.report.maxBytes);
    const starting = watchStart(spec, child, tree);
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
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      options.processes?.delete(tree);
    };
    child.once('error', (error) => {
      cleanup();
      reject(error);
    });
    const pid = child.pid;
    if (pid === undefined) return;
    options.ledger?.record(pid);
    options.processes?.add(tree);
    writeStdin(child, options.stdin);
    child.once('exit', () => tree.onExit());
    child.once('close', (code, signal) => {
      cleanup();
      options.ledger?.release(pid);
      const killed = tree.killed;
      const result: RawResult = {
        exitCode: killed ? null : code,
        signal: killed ? 'SIGKILL' : signal,
        stdout: collector.stdout(),
        stderr: collector.stderr(),
        timedOut: state.timedOut,
        aborted: state.aborted,
        truncatedBytes: collector.droppedBytes,
        report: report?.bytes() ?? Buffer.alloc(0),
      };
      // The helpers (network) must be gone before the command counts as finished, so that stop,
      // destroy and shutdown leave no process behind.
      void starting.done
        .then(() => tree.settle())
        .then(() => (starting.failure === undefined ? resolve(result) : reject(starting.failure)));
    });
  });
}

/** Where the helper started by `beforeStart` stands: settled `done`, and its error if it failed. */
interface HelperStart {
  done: Promise<void>;
  failure: unknown;
}

/**
 * Reads the namespace pid from the info fd and, for a launch with `beforeStart`, starts the
 * helper once both the pid and the gate's ready byte (fd GATE_FD) have arrived.
 */
function watchStart(spec: LaunchSpec, child: ChildProcess, tree: ProcessTree): HelperStart {
  const starting: HelperStart = { failure: undefined, done: Promise.resolve() };
  const beforeStart = spec.beforeStart;
  const gate = beforeStart && (child.stdio[GATE_FD] as Duplex);
  let namespacePid: number | undefined;
  let gateReady = false;
  const startWhenReady = (): void => {
    if (!beforeStart || !gate || namespacePid === undefined || !gateReady) return;
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
function spawnChild(spec: LaunchSpec, options: RunOptions): ChildProcess {
  const stdio: StdioOptions = [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
  stdio[INFO_FD] = spec.infoFd ? 'pipe' : 'ignore';
  stdio[GATE_FD] = spec.beforeStart ? 'pipe' : 'ignore';
  stdio[REPORT_FD] = options.report ? 'pipe' : 'ignore';
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

function writeStdin(child: ChildProcess, data: string | Buffer | undefined): void {
  if (data === undefined || !child.stdin) return;
  // A command that exits without reading its stdin makes the write fail with EPIPE; that is the
  // command's choice, not an error of ours.
  child.stdin.on('error', () => undefined);
  child.stdin.end(data);
}

/** One running process group, as tracked by a session's `ProcessSet`. */
class ProcessTree implements RunningProcess {
  killed = false;
  private namespaceInitPid: number | undefined;
  private exited = false;
  private readonly helpers: RunningProcess[] = [];
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly finished: Promise<void>;
  private markFinished!: () => void;

  constructor(private readonly child: ChildProcess, private readonly descendants?: CommandDescendants) {
    this.finished = new Promise((resolve) => (this.markFinished = resolve));
  }

  get done(): Promise<void> {
    return this.finished;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  /** Reads bwrap's info JSON; calls `onPid` once with the namespace init pid. */
  readInfo(stream: NodeJS.ReadableStream, onPid: (pid: number) => void): void {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      if (this.namespaceInitPid !== undefined) return;
      text += chunk.toString('utf8');
      const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (!match) return;
      this.namespaceInitPid = Number(match[1]);
      onPid(this.namespaceInitPid);
    });
    stream.on('error', () => undefined);
  }

  /** A host process serving this command (e.g. its network); killed when the command ends. */
  addHelper(helper: RunningProcess): void {
    this.helpers.push(helper);
    if (this.exited || this.killed) helper.kill();
  }

  kill(): void {
    this.killed = true;
    for (const helper of this.helpers) helper.kill();
    this.descendants?.killAll();
    if (this.exited) return;
    // Killing bwrap's namespace init (not bwrap itself) lets bwrap reap it and exit normally, so no
    // zombie is left for a container's pid 1 to collect; without that pid we kill the group.
    if (this.namespaceInitPid !== undefined) killQuietly(this.namespaceInitPid);
    else killQuietly(-this.child.pid!);
  }

  onExit(): void {
    this.exited = true;
    for (const helper of this.helpers) helper.kill();
    // Background children of a finished command die with it, as they do under bwrap's pid namespace.
    // The group id cannot be reused while any member of the group is still alive.
    killQuietly(-this.child.pid!);
    this.descendants?.killAll();
    this.graceTimer = setTimeout(() => {
      for (const stream of this.child.stdio) (stream as { destroy?: () => void } | null)?.destroy?.();
    }, PIPE_CLOSE_GRACE_MS);
  }

  /** Waits for the helpers to exit, then marks the tree finished. */
  async settle(): Promise<void> {
    clearTimeout(this.graceTimer);
    for (const helper of this.helpers) helper.kill();
    this.descendants?.dispose();
    await Promise.all(this.helpers.map((helper) => helper.done));
    this.markFinished();
  }
}
