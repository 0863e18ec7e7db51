/** A process tree that can be killed as a whole. */
export interface RunningProcess {
  /** Kills every process of the tree (SIGKILL). Safe to call more than once. */
  kill(): void;
  /** Settles once the process and its output pipes are finished. */
  readonly done: Promise<void>;
}

/** The running process trees of one session. */
export class ProcessSet {
  private readonly running = new Set<RunningProcess>();

  add(process: RunningProcess): void {
    this.running.add(process);
  }

  delete(process: RunningProcess): void {
    this.running.delete(process);
  }

  get size(): number {
    return this.running.size;
  }

  /** Kills every tracked tree and resolves when all of them have finished. */
  async killAll(): Promise<void> {
    const all = [...this.running];
    for (const process of all) process.kill();
    await Promise.all(all.map((process) => process.done));
  }
}
