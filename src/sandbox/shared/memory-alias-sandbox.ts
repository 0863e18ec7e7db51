/**
 * The subprocess provider's view of memory stores: there is no mount namespace, so the session's
 * memory directory (`<hostRoot>/<name>`) is shown to the file tools at `/mnt/memory/<name>` by
 * translating paths, and to bash through `$OMA_MEMORY_DIR` (the host directory). Paths are
 * translated in `readFile`, `writeFile`, `list` and in the quoted words of `exec` commands (glob and
 * grep), whose output is translated back. Writes through the file tools into a read-only store
 * fail; bash can still change the host files (no isolation), and the memory sync discards such
 * changes. Trade-off: this is a convenience for the unisolated provider, not a boundary.
 */
import path from 'node:path';
import { MEMORY_SANDBOX_ROOT, SandboxError, type DirEntry, type ExecOptions, type ExecResult, type Sandbox, type SandboxMemory, type ShellResult } from '../sandbox.ts';

export class MemoryAliasSandbox implements Sandbox {
  readonly sessionId: string;
  readonly workdir: string;

  constructor(private readonly inner: Sandbox, private readonly memory: SandboxMemory) {
    this.sessionId = inner.sessionId;
    this.workdir = inner.workdir;
  }

  /** The host path of a sandbox path under /mnt/memory (others unchanged). */
  private toHost(p: string): string {
    const absolute = path.posix.resolve(this.workdir, p);
    if (absolute !== MEMORY_SANDBOX_ROOT && !absolute.startsWith(`${MEMORY_SANDBOX_ROOT}/`)) return p;
    return path.join(this.memory.hostRoot, absolute.slice(MEMORY_SANDBOX_ROOT.length));
  }

  private toSandbox(text: string): string {
    return text.replaceAll(this.memory.hostRoot, MEMORY_SANDBOX_ROOT);
  }

  private withEnv<O extends ExecOptions>(options: O): O {
    return { ...options, env: { ...options.env, OMA_MEMORY_DIR: this.memory.hostRoot } };
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const translated = command.replaceAll(`'${MEMORY_SANDBOX_ROOT}/`, `'${this.memory.hostRoot}/`).replaceAll(`'${MEMORY_SANDBOX_ROOT}'`, `'${this.memory.hostRoot}'`);
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
    const host = this.toHost(filePath);
    const readOnly = this.memory.mounts.find((m) => m.readOnly && (host === path.join(this.memory.hostRoot, m.name) || host.startsWith(`${path.join(this.memory.hostRoot, m.name)}/`)));
    if (readOnly) throw new SandboxError({ provider: 'subprocess', operation: 'writeFile', sandboxId: this.sessionId, message: `${filePath} is in the read-only memory store at ${MEMORY_SANDBOX_ROOT}/${readOnly.name}` });
    return this.inner.writeFile(host, data);
  }

  list(directoryPath: string): Promise<DirEntry[]> {
    return this.inner.list(this.toHost(directoryPath));
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
