/**
 * The subprocess provider's view of mounts: there is no mount namespace, so each mount
 * (`SandboxMount`, memory stores included) is shown to the file tools at its sandbox path by
 * translating paths, and to bash through the documented variables (SANDBOX_MOUNT_VARIABLES): each
 * names a host directory of symlinks (the alias tree, `<workdirRoot>/.mount-tree/<session>`) laid
 * out like the sandbox, e.g. `$OMA_SESSION_DIR/uploads/<file_id>`. `$OMA_MEMORY_DIR` stays the
 * host directory holding the memory stores. Paths are translated in `readFile`, `writeFile`, `list`
 * and in the quoted words of `exec` commands (glob and grep), whose output is translated back; a
 * directory above mounts (e.g. /mnt/session) is listed from the alias tree. Writes through the file
 * tools into a read-only mount fail; bash can still change the host files (no isolation; the memory
 * sync discards such changes, file copies are per session). Trade-off: a convenience for the
 * unisolated provider, not a boundary.
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError, type DirEntry, type ExecOptions, type ExecResult, type Sandbox, type SandboxMount, type ShellResult } from '../sandbox.ts';
import { isAtOrBelow, mountHolding, mountVariables } from './mounts.ts';
import type { CommandSandbox } from './command-sandbox.ts';

export class MountAliasSandbox implements Sandbox {
  readonly sessionId: string;
  readonly workdir: string;
  private mounts: SandboxMount[] = [];
  private env: Record<string, string> = {};

  /** `tree`: the host directory of the alias tree (rebuilt by applyMounts); `memoryHostRoot` keeps $OMA_MEMORY_DIR as it was. */
  constructor(private readonly inner: Sandbox, private readonly tree: string, private readonly memoryHostRoot: string | undefined) {
    this.sessionId = inner.sessionId;
    this.workdir = inner.workdir;
  }

  async applyMounts(mounts: SandboxMount[]): Promise<void> {
    await rm(this.tree, { recursive: true, force: true });
    await mkdir(this.tree, { recursive: true, mode: 0o700 });
    for (const mount of mounts) {
      const alias = path.join(this.tree, mount.sandboxPath);
      await mkdir(path.dirname(alias), { recursive: true, mode: 0o700 });
      // A mount below another one (a file in a mounted directory) already shows through its parent.
      await symlink(mount.hostPath, alias).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST' && error.code !== 'ENOTDIR') throw error;
      });
    }
    this.mounts = mounts;
    this.env = { ...mountVariables(mounts, (root) => path.join(this.tree, root)), ...(this.memoryHostRoot ? { OMA_MEMORY_DIR: this.memoryHostRoot } : {}) };
  }

  /** The host path of a sandbox path in a mount or above one (others unchanged). */
  private toHost(p: string): string {
    const absolute = path.posix.resolve(this.workdir, p);
    const mount = mountHolding(this.mounts, absolute);
    if (mount) return mount.hostPath + absolute.slice(mount.sandboxPath.length);
    if (this.mounts.some((m) => isAtOrBelow(m.sandboxPath, absolute)) && absolute !== '/') return path.join(this.tree, absolute);
    return p;
  }

  private toSandbox(text: string): string {
    let out = text;
    for (const mount of [...this.mounts].sort((a, b) => b.hostPath.length - a.hostPath.length)) out = out.replaceAll(mount.hostPath, mount.sandboxPath);
    return out.replaceAll(`${this.tree}/`, '/');
  }

  private withEnv<O extends ExecOptions>(options: O): O {
    return { ...options, env: { ...options.env, ...this.env } };
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    let translated = command;
    for (const mount of [...this.mounts].sort((a, b) => b.sandboxPath.length - a.sandboxPath.length)) {
      translated = translated.replaceAll(`'${mount.sandboxPath}/`, `'${mount.hostPath}/`).replaceAll(`'${mount.sandboxPath}'`, `'${mount.hostPath}'`);
    }
    const result = await this.inner.exec(translated, this.withEnv(options));
    return { ...result, stdout: this.toSandbox(result.stdout), stderr: this.toSandbox(result.stderr) };
  }

  shell(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    return this.inner.shell(command, this.withEnv(options));
  }

  restartShell(): Promise<void> {
    return this.inner.restartShell();
  }

  readFile(filePath: string): Promise<Buffer> {
    return this.inner.readFile(this.toHost(filePath));
  }

  async writeFile(filePath: string, data: string | Buffer): Promise<void> {
    const absolute = path.posix.resolve(this.workdir, filePath);
    const mount = mountHolding(this.mounts, absolute);
    if (mount?.readOnly) throw new SandboxError({ provider: 'subprocess', operation: 'writeFile', sandboxId: this.sessionId, message: `${filePath} is in the read-only mount at ${mount.sandboxPath}` });
    return this.inner.writeFile(this.toHost(filePath), data);
  }

  list(directoryPath: string): Promise<DirEntry[]> {
    return this.inner.list(this.toHost(directoryPath));
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  /** See CommandSandbox.settled (the bench waits for the launches started ahead). */
  async settled(): Promise<void> {
    await (this.inner as Partial<CommandSandbox>).settled?.();
  }

  /** See CommandSandbox.prestartedPids. */
  prestartedPids(): number[] {
    return (this.inner as Partial<CommandSandbox>).prestartedPids?.() ?? [];
  }
}
