/**
 * Every process a command starts, found again when the command ends (issue #24, finding 11: a
 * `setsid` child left the command's process group and outlived it and the session's deletion).
 * - cgroup v2 where the server may create cgroups (it is root, or its cgroup is delegated): each
 *   command runs in a cgroup of its own, entered by a wrapper shell before `exec`, so every
 *   descendant is in it whatever it does with sessions, groups or its environment; ending the command
 *   writes `cgroup.kill` (or kills each member where the kernel predates it).
 * - Otherwise a process scan: the command's environment carries a random token, and ending the
 *   command kills every process of the server's uid whose initial environment holds it. A process
 *   that re-executes itself with a cleared environment escapes this; docs/sandbox.md says so.
 * The cgroup files are written synchronously: they are kernel interfaces that answer at once, and
 * kill() is called from synchronous process bookkeeping.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** The processes of one command. */
export interface CommandDescendants {
  /** Wraps the launch so the command starts inside the group: returns the file and args to spawn. */
  wrap(file: string, args: string[]): { file: string; args: string[] };
  /** Extra environment for the command (the scan token), if any. */
  readonly env: Record<string, string>;
  /** SIGKILLs every process of the command still alive. Safe to call more than once. */
  killAll(): void;
  /** Kills what is left and removes the group; best effort (a group still emptying is retried at the next command). */
  dispose(): void;
}

export const DESCENDANT_TOKEN_VARIABLE = 'OMA_COMMAND_TOKEN';

/** A wrapper that enters the cgroup ($1/cgroup.procs) and then becomes the command. */
const ENTER_CGROUP_SCRIPT = 'echo $$ > "$1/cgroup.procs" || exit 126; shift; exec "$@"';

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: nothing to kill.
  }
}

/** The cgroup v2 directory this process is in, when the v2 hierarchy is mounted and writable by us. */
export function findOwnCgroup(): string | undefined {
  try {
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    if (own === undefined) return undefined;
    const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
    if (!mount) return undefined;
    const directory = path.join(mount[4]!, own);
    const probe = path.join(directory, `oma-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return directory;
  } catch {
    return undefined; // No v2 hierarchy, or not ours to write: fall back to the process scan.
  }
}

class CgroupCommand implements CommandDescendants {
  readonly env: Record<string, string> = {};
  constructor(private readonly directory: string, private readonly pending: Set<string>) {
    mkdirSync(directory);
  }

  wrap(file: string, args: string[]): { file: string; args: string[] } {
    return { file: '/bin/sh', args: ['-c', ENTER_CGROUP_SCRIPT, 'oma-cgroup', this.directory, file, ...args] };
  }

  killAll(): void {
    try {
      writeFileSync(path.join(this.directory, 'cgroup.kill'), '1');
      return;
    } catch {
      // Kernels before 5.14 have no cgroup.kill: kill the members one by one below.
    }
    for (let round = 0; round < 10; round++) {
      const pids = this.members();
      if (pids.length === 0) return;
      for (const pid of pids) killPid(pid);
    }
  }

  dispose(): void {
    this.killAll();
    this.pending.add(this.directory);
    removeEmpty(this.pending);
  }

  private members(): number[] {
    try {
      return readFileSync(path.join(this.directory, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }
}

/** Removes the groups that have emptied (rmdir fails while a killed process is still exiting). */
function removeEmpty(pending: Set<string>): void {
  for (const directory of pending) {
    try {
      rmdirSync(directory);
      pending.delete(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') pending.delete(directory);
    }
  }
}

class ScannedCommand implements CommandDescendants {
  private readonly token = randomBytes(12).toString('hex');
  readonly env = { [DESCENDANT_TOKEN_VARIABLE]: this.token };

  wrap(file: string, args: string[]): { file: string; args: string[] } {
    return { file, args };
  }

  killAll(): void {
    const needle = `${DESCENDANT_TOKEN_VARIABLE}=${this.token}\0`;
    for (let round = 0; round < 3; round++) {
      let found = 0;
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
        try {
          if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(needle)) {
            killPid(Number(name));
            found++;
          }
        } catch {
          // Exited meanwhile, or another user's process we may not read: not ours.
        }
      }
      if (found === 0) return;
    }
  }

  dispose(): void {
    this.killAll();
  }
}

/** Creates per-command trackers: cgroups when this host allows them, else the process scan. */
export class DescendantTracker {
  private readonly base: string | undefined;
  private readonly pending = new Set<string>();
  private counter = 0;

  constructor(options: { useCgroups?: boolean } = {}) {
    const own = options.useCgroups === false ? undefined : findOwnCgroup();
    if (own !== undefined) {
      removeDeadServersGroups(own);
      // One base per tracker (tests run several providers in one process; each removes its own).
      this.base = path.join(own, `oma-sandbox-${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        mkdirSync(this.base, { recursive: true });
      } catch {
        this.base = undefined;
      }
    }
  }

  /** "cgroup" or "scan": how descendants are found on this host. */
  get mechanism(): 'cgroup' | 'scan' {
    return this.base === undefined ? 'scan' : 'cgroup';
  }

  forCommand(): CommandDescendants {
    if (this.base === undefined) return new ScannedCommand();
    removeEmpty(this.pending);
    return new CgroupCommand(path.join(this.base, `cmd-${++this.counter}`), this.pending);
  }

  /**
   * At shutdown, after every command was killed: removes this tracker's groups, waiting up to
   * `waitMs` for killed processes to finish exiting (a group cannot be removed before that).
   */
  async dispose(waitMs = 2000): Promise<void> {
    if (this.base === undefined) return;
    const deadline = Date.now() + waitMs;
    for (;;) {
      removeEmpty(this.pending);
      if (this.pending.size === 0 || Date.now() > deadline) break;
      await delay(20);
    }
    removeGroupTree(this.base);
  }
}

/**
 * The base groups (`oma-sandbox-<pid>-<tag>`) that servers which are gone left behind (a kill -9, or no
 * shutdown): their empty command groups and then the base itself are removed, so groups do not pile
 * up over restarts. A group still holding a process is left alone (the process ledger kills a crashed
 * run's commands; its group goes at the next boot after that). A live server's groups are never touched.
 */
function removeDeadServersGroups(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^oma-sandbox-(\d+)(?:-[0-9a-f]+)?$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    removeGroupTree(path.join(parent, name));
  }
}

/** rmdir of the group's empty child groups, then of the group; best effort, EBUSY ones stay. */
function removeGroupTree(directory: string): void {
  try {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) tryRmdir(path.join(directory, entry.name));
    }
  } catch {
    return;
  }
  tryRmdir(directory);
}

function tryRmdir(directory: string): void {
  try {
    rmdirSync(directory);
  } catch {
    // Still holds a process (EBUSY), or already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
