/**
 * Host paths the server owns (SandboxMount: memory store directories, session files, skills),
 * shown inside a remote machine at their sandbox paths by copying through the server: never by giving the machine
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
import type { SandboxMount } from '../sandbox.ts';
import { mountHolding } from '../shared/mounts.ts';
import { quoteShellWord } from '../shared/shell-quote.ts';
import { RemoteProviderError, type RemoteMachine } from './driver.ts';
import { withRetry } from './retry.ts';


/** Largest manifest read back from the machine. */
const MANIFEST_LIMIT_BYTES = 16 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

type Manifest = Map<string, string>;

export class MountSync {
  /** Machine path → sha256 of the content both sides agreed on at the last sync. */
  private synced: Manifest = new Map();

  constructor(private readonly provider: string, private readonly machine: RemoteMachine, private mounts: SandboxMount[]) {}

  get isEmpty(): boolean {
    return this.mounts.length === 0;
  }

  /** The mount path when `absolute` (a machine path) is inside a read-only mount. */
  readOnlyMountOf(absolute: string): string | undefined {
    const mount = mountHolding(this.mounts, absolute);
    return mount?.readOnly ? mount.sandboxPath : undefined;
  }

  /** A new mount list (the harness opens with the session's current mounts): the machine is made equal to it. */
  async replace(mounts: SandboxMount[]): Promise<void> {
    const gone = this.mounts.filter((old) => !mounts.some((m) => m.sandboxPath === old.sandboxPath));
    this.mounts = mounts;
    if (gone.length > 0) await this.run(`rm -rf -- ${gone.map((m) => quoteShellWord(m.sandboxPath)).join(' ')}`);
    await this.reset();
  }

  async reset(): Promise<void> {
    const dirs: string[] = [];
    for (const m of this.mounts) if ((await lstat(m.hostPath).catch(() => undefined))?.isDirectory()) dirs.push(m.sandboxPath);
    if (dirs.length > 0) await this.run(`mkdir -p -- ${dirs.map(quoteShellWord).join(' ')}`);
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

  private mountOf(file: string): SandboxMount | undefined {
    return mountHolding(this.mounts, file);
  }

  private hostPath(mount: SandboxMount, file: string): string {
    if (file === mount.sandboxPath) return mount.hostPath;
    const relative = file.slice(mount.sandboxPath.length + 1);
    if (relative.split('/').some((part) => part === '..' || part === '.' || part === '')) throw new Error(`unexpected path from the sandbox: ${JSON.stringify(file)}`);
    return path.join(mount.hostPath, ...relative.split('/'));
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
    if (this.mounts.length === 0) return new Map();
    const dirs = this.mounts.map((m) => quoteShellWord(m.sandboxPath)).join(' ');
    // A mount that is a file on the host is a file on the machine: find lists it the same way.
    const output = await this.run(`for d in ${dirs}; do if [ -e "$d" ]; then find "$d" -type f -print0 | xargs -0 -r sha256sum -z; fi; done`);
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
    for (const mount of this.mounts) {
      const stats = await lstat(mount.hostPath).catch(() => undefined);
      if (stats?.isFile()) manifest.set(mount.sandboxPath, sha256(await readFile(mount.hostPath)));
      else if (stats?.isDirectory()) await walk(mount.hostPath, mount.sandboxPath, manifest);
    }
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
