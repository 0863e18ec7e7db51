/**
 * Directories the server owns on the host (memory stores: `<hostRoot>/<name>`), shown inside a
 * remote machine at `<sandboxDir>` by copying through the server: never by giving the machine
 * blob-store (S3) credentials or anything of the vault. `reset` makes the machine's copy equal to
 * the host's (at open: after a reattach the machine may hold stale files); `push` sends what
 * changed on the host since the last sync (another session wrote the store); `pull`, after every
 * operation of the agent, brings the machine's changes back, so the memory sync sees them before
 * the tool result is committed. Read-only mounts are never pulled: whatever the agent changed
 * there is put back from the host. Files only (empty directories and symlinks are not carried).
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MEMORY_SANDBOX_ROOT, type SandboxMemory } from '../sandbox.ts';
import { quoteShellWord } from '../shared/shell-quote.ts';
import { RemoteProviderError, type RemoteMachine } from './driver.ts';
import { withRetry } from './retry.ts';

export interface SyncedMount {
  hostDir: string;
  /** Absolute path on the machine. */
  sandboxDir: string;
  readOnly: boolean;
}

/** Largest manifest read back from the machine. */
const MANIFEST_LIMIT_BYTES = 16 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

type Manifest = Map<string, string>;

export class MountSync {
  /** Machine path → sha256 of the content both sides agreed on at the last sync. */
  private synced: Manifest = new Map();

  constructor(private readonly provider: string, private readonly machine: RemoteMachine, private readonly mounts: SyncedMount[]) {}

  static forMemory(provider: string, machine: RemoteMachine, memory: SandboxMemory): MountSync {
    return new MountSync(
      provider,
      machine,
      memory.mounts.map((m) => ({ hostDir: path.join(memory.hostRoot, m.name), sandboxDir: path.posix.join(MEMORY_SANDBOX_ROOT, m.name), readOnly: m.readOnly })),
    );
  }

  /** The mount path when `absolute` (a machine path) is inside a read-only mount. */
  readOnlyMountOf(absolute: string): string | undefined {
    return this.mounts.find((m) => m.readOnly && (absolute === m.sandboxDir || absolute.startsWith(`${m.sandboxDir}/`)))?.sandboxDir;
  }

  async reset(): Promise<void> {
    const [host, remote] = [await this.hostManifest(), await this.remoteManifest()];
    await this.upload([...host].filter(([file, sha]) => remote.get(file) !== sha).map(([file]) => file));
    await this.removeRemote([...remote.keys()].filter((file) => !host.has(file)));
    this.synced = host;
  }

  async push(): Promise<void> {
    const host = await this.hostManifest();
    await this.upload([...host].filter(([file, sha]) => this.synced.get(file) !== sha).map(([file]) => file));
    await this.removeRemote([...this.synced.keys()].filter((file) => !host.has(file)));
    this.synced = host;
  }

  async pull(): Promise<void> {
    const remote = await this.remoteManifest();
    const changed = [...remote].filter(([file, sha]) => this.synced.get(file) !== sha).map(([file]) => file);
    const removed = [...this.synced.keys()].filter((file) => !remote.has(file));
    const restore: string[] = [];
    for (const file of [...changed, ...removed]) {
      const mount = this.mountOf(file);
      if (!mount) continue;
      if (mount.readOnly) {
        restore.push(file);
        continue;
      }
      const host = this.hostPath(mount, file);
      if (remote.has(file)) {
        const data = await withRetry(() => this.machine.download(file));
        if (data === undefined) continue;
        await mkdir(path.dirname(host), { recursive: true });
        await writeFile(host, data);
        this.synced.set(file, sha256(data));
      } else {
        await rm(host, { force: true });
        this.synced.delete(file);
      }
    }
    const restoreUploads = restore.filter((file) => this.synced.has(file));
    await this.upload(restoreUploads);
    await this.removeRemote(restore.filter((file) => !this.synced.has(file)));
  }

  private mountOf(file: string): SyncedMount | undefined {
    return this.mounts.find((m) => file.startsWith(`${m.sandboxDir}/`));
  }

  private hostPath(mount: SyncedMount, file: string): string {
    const relative = file.slice(mount.sandboxDir.length + 1);
    if (relative.split('/').some((part) => part === '..' || part === '.' || part === '')) throw new Error(`unexpected path from the sandbox: ${JSON.stringify(file)}`);
    return path.join(mount.hostDir, ...relative.split('/'));
  }

  private async upload(files: string[]): Promise<void> {
    for (const file of files) {
      const mount = this.mountOf(file);
      if (!mount) continue;
      const data = await readFile(this.hostPath(mount, file));
      await withRetry(() => this.machine.upload(file, data));
      this.synced.set(file, sha256(data));
    }
  }

  private async removeRemote(files: string[]): Promise<void> {
    for (let i = 0; i < files.length; i += 200) {
      const batch = files.slice(i, i + 200);
      await this.run(`rm -f -- ${batch.map(quoteShellWord).join(' ')}`);
    }
    for (const file of files) this.synced.delete(file);
  }

  /** Machine path → sha256 of every regular file under the mounts (creating missing mount directories). */
  private async remoteManifest(): Promise<Manifest> {
    const dirs = this.mounts.map((m) => quoteShellWord(m.sandboxDir)).join(' ');
    const output = await this.run(`for d in ${dirs}; do mkdir -p -- "$d" && find "$d" -type f -print0 | xargs -0 -r sha256sum -z; done`);
    const manifest: Manifest = new Map();
    for (const record of output.split('\0')) {
      if (record === '') continue;
      const sha = record.slice(0, 64);
      const file = record.slice(66);
      if (SHA256.test(sha) && file.startsWith('/')) manifest.set(file, sha);
    }
    return manifest;
  }

  private async hostManifest(): Promise<Manifest> {
    const manifest: Manifest = new Map();
    for (const mount of this.mounts) await walk(mount.hostDir, mount.sandboxDir, manifest);
    return manifest;
  }

  private async run(script: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    const stderr: Buffer[] = [];
    const { exitCode } = await this.machine.run(script, {
      timeoutMs: 120_000,
      onStdout: (chunk) => {
        size += chunk.length;
        if (size <= MANIFEST_LIMIT_BYTES) chunks.push(chunk);
      },
      onStderr: (chunk) => stderr.push(chunk),
    });
    if (exitCode !== 0) throw new RemoteProviderError({ provider: this.provider, retryable: false, message: `syncing the memory mounts failed (exit ${exitCode}): ${Buffer.concat(stderr).toString('utf8').trim().slice(0, 500)}` });
    if (size > MANIFEST_LIMIT_BYTES) throw new RemoteProviderError({ provider: this.provider, retryable: false, message: `the memory mounts hold too many files to sync (manifest over ${MANIFEST_LIMIT_BYTES} bytes)` });
    return Buffer.concat(chunks).toString('utf8');
  }
}

async function walk(hostDir: string, sandboxDir: string, into: Manifest): Promise<void> {
  const entries = await readdir(hostDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const entry of entries) {
    const host = path.join(hostDir, entry.name);
    const remote = path.posix.join(sandboxDir, entry.name);
    if (entry.isDirectory()) await walk(host, remote, into);
    else if (entry.isFile() && (await lstat(host)).isFile()) into.set(remote, sha256(await readFile(host)));
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
