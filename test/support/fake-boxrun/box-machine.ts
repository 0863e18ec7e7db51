/**
 * A fake box's "VM": a temporary directory whose `home/` and `mnt/` appear at /home and /mnt for
 * the box's commands (a private mount namespace per command, via unshare; needs root, as the
 * bwrap tests do). Commands are real host processes, each the leader of its own process group,
 * so the contract's kill checks see real processes die.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Binds the box's directories over /home and /mnt, then runs the command in its cwd. */
const ENTER_BOX =
  'mount --bind -- "$1/home" /home && mount --bind -- "$1/mnt" /mnt || exit 125\n' +
  'cd -- "$2" || exit 126\n' +
  'shift 2\n' +
  'exec "$@"';

export class BoxMachine {
  private constructor(readonly root: string) {}

  static async create(parent?: string): Promise<BoxMachine> {
    const root = await mkdtemp(path.join(parent ?? os.tmpdir(), 'fake-box-'));
    await mkdir(path.join(root, 'home'), { recursive: true });
    await mkdir(path.join(root, 'mnt'), { recursive: true });
    await mkdir(path.join(root, 'rootfs'), { recursive: true });
    return new BoxMachine(root);
  }

  /** Where a path of the box lives on the host: /home and /mnt in their directories, anything else under rootfs/. */
  hostPath(guestPath: string): string {
    const normal = path.posix.resolve('/', guestPath);
    for (const top of ['/home', '/mnt']) {
      if (normal === top || normal.startsWith(`${top}/`)) return path.join(this.root, normal);
    }
    return path.join(this.root, 'rootfs', normal);
  }

  /** Starts `argv` in the box with exactly `env` (plus PATH when it has none). */
  spawn(argv: string[], options: { cwd: string; env: Record<string, string> }): ChildProcess {
    const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...options.env };
    return spawn('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', ENTER_BOX, 'fake-box', this.root, options.cwd, ...argv], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  exists(guestPath: string): boolean {
    return existsSync(this.hostPath(guestPath));
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
