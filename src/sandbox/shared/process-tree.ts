/** A command's process tree as run-process.ts tracks it: kill it whole, reap its helpers. */
import type { ChildProcess } from 'node:child_process';
import type { CommandDescendants } from './descendants.ts';
import type { RunningProcess } from './process-set.ts';

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

/** One running process group, as tracked by a session's `ProcessSet`. */
export class ProcessTree implements RunningProcess {
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

  get namespacePid(): number | undefined {
    return this.namespaceInitPid;
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
