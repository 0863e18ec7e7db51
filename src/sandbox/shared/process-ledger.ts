/**
 * Which sandbox process groups this server instance has running, on disk, so that after a crash
 * (kill -9: nothing could kill them then) the next boot of the same instance kills what is left.
 * Without it a `bash` tool cut off by the crash would keep running, and keep changing things,
 * while recovery tells the model it may or may not have completed.
 *
 * Only for the subprocess provider: bwrap sandboxes die with the server (--die-with-parent) and
 * their network helper with its exit fd. One file per process group, named by its id, holding the
 * leader's start time (field 22 of /proc/<pid>/stat), so a reused pid is never mistaken for ours.
 * The directory is per instance id: instances sharing a DATA_DIR never kill each other's processes.
 * Each record also names the server process that started the group (pid and start time): a record
 * whose server is still alive belongs to a live run (e.g. a second server given the same
 * INSTANCE_ID and SANDBOX_WORKDIR), and is left alone; only a dead run's leftovers are killed.
 * Linux only (/proc); elsewhere it records nothing.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ProcessLedger {
  private readonly directory: string;
  private readonly serverStart = startTimeOf(process.pid);
  private readonly enabled = this.serverStart !== undefined;

  constructor(workdirRoot: string, instanceId: string) {
    this.directory = path.join(workdirRoot, '.processes', createHash('sha256').update(instanceId).digest('hex').slice(0, 16));
    if (this.enabled) mkdirSync(this.directory, { recursive: true, mode: 0o700 });
  }

  /** Records a process group just started (its leader's pid is the group id). */
  record(pgid: number): void {
    if (!this.enabled) return;
    const started = startTimeOf(pgid);
    try {
      if (started !== undefined) writeFileSync(path.join(this.directory, String(pgid)), `${started} ${process.pid} ${this.serverStart}`);
    } catch {
      // Best effort (e.g. disk full): the command runs anyway; only crash cleanup would miss it.
    }
  }

  /** Forgets a group that ended (or was killed) normally. */
  release(pgid: number): void {
    if (!this.enabled) return;
    try {
      rmSync(path.join(this.directory, String(pgid)), { force: true });
    } catch {
      // A stale record is harmless: its start time will not match a later process.
    }
  }

  /**
   * At boot, before any sandbox runs: kills every recorded group that is still alive (its leader
   * with the recorded start time, or — the leader gone — members left in the group) and clears the
   * records, except the records of a server run that is still alive (not this process). Returns how
   * many groups it killed.
   */
  killLeftovers(): number {
    if (!this.enabled) return 0;
    let killed = 0;
    for (const name of readdirSync(this.directory)) {
      const file = path.join(this.directory, name);
      const pgid = Number(name);
      if (Number.isInteger(pgid) && pgid > 1) {
        const [recorded, ownerPid, ownerStart] = readFileSync(file, 'utf8').trim().split(' ');
        // Records without an owner come from before owners were recorded: treated as a dead run's.
        if (ownerPid && Number(ownerPid) !== process.pid && startTimeOf(Number(ownerPid)) === ownerStart) continue;
        const leader = startTimeOf(pgid);
        if (leader === undefined ? groupExists(pgid) : leader === recorded) {
          try {
            process.kill(-pgid, 'SIGKILL');
            killed++;
          } catch {
            // gone meanwhile
          }
        }
      }
      unlinkSync(file);
    }
    return killed;
  }
}
