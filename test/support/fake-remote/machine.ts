/**
 * The "machines" behind the loopback fakes of remote sandbox providers (e2b, daytona, boxrun…):
 * each is a temp directory whose `workspace/`, `mnt/`, `tmp/` and `home/` appear at /workspace,
 * /mnt, /tmp and /home of a private root (a mount namespace with the host's /usr, /etc… bound
 * read-write, chrooted), kept alive by one `sleep infinity` process; commands enter it with
 * nsenter. Commands really run, as root, with the host's pid namespace (the contract suite sees
 * their processes), and with an environment of only PATH and HOME like a fresh VM's agent.
 * Needs root (mount namespaces): the tests that use it run as root on the CI machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const SETUP = `R="$1/.root"; S="$1"
mount -t tmpfs -o mode=755 oma-fake-machine "$R" || exit 126
for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32 /etc /dev /proc /run /opt /var; do
  if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$R$d"; elif [ -d "$d" ]; then mkdir -p "$R$d" && mount --rbind "$d" "$R$d"; fi
done
mkdir -p "$S/home/user" "$S/home/daytona"
for d in workspace mnt tmp home; do mkdir -p "$R/$d" && mount --bind "$S/$d" "$R/$d"; done
# The templates' unprivileged users ("user" on e2b, "daytona" on Daytona), as in their images.
for f in passwd group; do cp /etc/$f "$S/.$f"; done
grep -q '^user:' "$S/.passwd" || echo 'user:x:1000:1000::/home/user:/bin/bash' >> "$S/.passwd"
grep -q '^daytona:' "$S/.passwd" || echo 'daytona:x:1001:1001::/home/daytona:/bin/bash' >> "$S/.passwd"
grep -q '^user:' "$S/.group" || echo 'user:x:1000:' >> "$S/.group"
grep -q '^daytona:' "$S/.group" || echo 'daytona:x:1001:' >> "$S/.group"
for f in passwd group; do mount --bind "$S/.$f" "$R/etc/$f"; done
chmod 1777 "$S/tmp"
exec chroot "$R" sleep infinity`;

/** Machine paths backed by the machine's directory; anything else is the host's (read-only by convention). */
const ROOTS = ['workspace', 'mnt', 'tmp', 'home'];

export const MACHINE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class FakeMachine {
  readonly createdAt = Date.now();
  state: 'running' | 'stopped' = 'running';
  private holder: ChildProcess | undefined;

  constructor(readonly id: string, readonly dir: string, public labels: Record<string, string>, readonly extra: Record<string, unknown> = {}) {}

  async start(): Promise<void> {
    for (const root of [...ROOTS, '.root']) await mkdir(path.join(this.dir, root), { recursive: true });
    const holder = spawn('unshare', ['-m', '--propagation', 'private', 'bash', '-c', SETUP, 'oma-fake-setup', this.dir], { env: { PATH: MACHINE_PATH }, stdio: 'ignore', cwd: '/' });
    this.holder = holder;
    // Ready when `sleep infinity` runs chrooted (its root is no longer the host's).
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (holder.exitCode !== null) throw new Error(`fake machine ${this.id} did not start (exit ${holder.exitCode})`);
      const cmdline = await readFile(`/proc/${holder.pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.startsWith('sleep\0infinity')) break;
      if (Date.now() > deadline) throw new Error(`fake machine ${this.id} did not start in time`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Starts `argv` inside (cwd /workspace unless `cwd`), env only PATH/HOME plus `env`. */
  spawn(argv: string[], options: { env?: Record<string, string>; cwd?: string } = {}): ChildProcess {
    if (!this.holder?.pid || this.state !== 'running') throw new Error(`machine ${this.id} is not running`);
    const cwd = options.cwd ?? '/workspace';
    return spawn('nsenter', ['-t', String(this.holder.pid), '-m', '-r', '-w', '--', '/bin/bash', '-c', 'cd -- "$1" 2>/dev/null || cd /; shift; exec "$@"', 'oma-fake', cwd, ...argv], {
      env: { PATH: MACHINE_PATH, HOME: '/workspace', ...options.env },
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** The host path of a machine path, or undefined outside the machine's own directories. */
  hostPath(machinePath: string): string | undefined {
    const normal = path.posix.resolve('/workspace', machinePath);
    const [, root] = normal.split('/');
    return ROOTS.includes(root) ? path.join(this.dir, normal) : undefined;
  }

  async writeFile(machinePath: string, data: Buffer): Promise<void> {
    const host = this.hostPath(machinePath);
    if (!host) throw Object.assign(new Error(`permission denied: ${machinePath}`), { code: 'EACCES' });
    await mkdir(path.dirname(host), { recursive: true });
    await writeFile(host, data);
  }

  /** File content, undefined when missing, an error for a directory. */
  async readFile(machinePath: string): Promise<Buffer | undefined> {
    const host = this.hostPath(machinePath);
    if (!host || !existsSync(host)) return undefined;
    if ((await stat(host)).isDirectory()) throw Object.assign(new Error(`is a directory: ${machinePath}`), { code: 'EISDIR' });
    return readFile(host);
  }

  /** Kills every process inside and the holder. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    const holder = this.holder;
    this.holder = undefined;
    if (holder?.pid && holder.exitCode === null) {
      const exited = new Promise((resolve) => holder.once('exit', resolve));
      holder.kill('SIGKILL');
      await exited;
    }
  }
}

/** A provider's pool of machines. */
export class FakeMachines {
  readonly machines = new Map<string, FakeMachine>();
  private root: string | undefined;

  async create(labels: Record<string, string>, extra: Record<string, unknown> = {}, idPrefix = 'sbx'): Promise<FakeMachine> {
    this.root ??= await mkdtemp(path.join(os.tmpdir(), 'oma-fake-machines-'));
    const id = `${idPrefix}${randomBytes(6).toString('hex')}`;
    const machine = new FakeMachine(id, path.join(this.root, id), labels, extra);
    await machine.start();
    this.machines.set(id, machine);
    return machine;
  }

  get(id: string): FakeMachine | undefined {
    return this.machines.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const machine = this.machines.get(id);
    if (!machine) return false;
    this.machines.delete(id);
    await machine.stop();
    await rm(machine.dir, { recursive: true, force: true });
    return true;
  }

  /** Whether the machine recorded for `session` (label oma-session) holds `relative` under /workspace; undefined: no machine. */
  sessionFileExists(session: string, relative: string): boolean | undefined {
    const machine = [...this.machines.values()].find((m) => m.labels['oma-session'] === session);
    return machine ? existsSync(path.join(machine.dir, 'workspace', relative)) : undefined;
  }

  async close(): Promise<void> {
    for (const id of [...this.machines.keys()]) await this.delete(id);
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}
