/**
 * A session's files in its sandbox, on the host under `<root>/<session id>/` (root is
 * `SANDBOX_WORKDIR/.mounts`):
 * - `files/<resource id>`: a copy of each `file` resource's bytes (blobs are the server's, 0600),
 *   mounted read-only at the resource's `mount_path`; made once, removed with the resource.
 * - `outputs/`: mounted read-write at /mnt/session/outputs. When a turn ends, `collectOutputs`
 *   turns each regular file there into a File of the tenant scoped to the session. A (path,
 *   content) pair is collected once (session_outputs, written with the File row in one
 *   transaction), so a turn end re-run after a crash never duplicates a File, and a file changed
 *   in a later turn becomes a new File. Files over FILES_MAX_BYTES are skipped (logged).
 * The agent owns what is in `outputs/` (bwrap gives it to the session uid): the walk never follows
 * a symlink (lstat, O_NOFOLLOW) and only takes regular files.
 */
import { createHash } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { SessionTable } from '../store/schema.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { SandboxMount } from '../sandbox/sandbox.ts';
import type { FileMetadata } from '../api/schemas/files.ts';
import type { FileService } from './file-service.ts';
import { parseJson } from '../store/json.ts';
import { newId } from '../lib/ids.ts';

type SessionRow = Pick<SessionTable, 'id' | 'tenant_id' | 'resources'>;

/** Where the agent leaves what it produced. */
export const OUTPUTS_SANDBOX_PATH = '/mnt/session/outputs';

const SESSION_ID = /^[A-Za-z0-9_]+$/;
/** At most this many entries are looked at per collection (a runaway tree is not walked whole). */
const MAX_OUTPUT_ENTRIES = 1000;
const MAX_OUTPUT_DEPTH = 16;

export interface SessionFileMountsOptions {
  store: Store;
  blobs: BlobStore;
  files: FileService;
  /** SANDBOX_WORKDIR/.mounts */
  root: string;
  /** Spool directory for outputs on their way into the blob store (the upload directory). */
  spoolDir: string;
  /** Largest output that becomes a File (FILES_MAX_BYTES). */
  maxOutputBytes: number;
  logger?: Logger;
}

export class SessionFileMounts {
  constructor(private readonly deps: SessionFileMountsOptions) {}

  private sessionRoot(sessionId: string): string {
    if (!SESSION_ID.test(sessionId)) throw new Error(`unexpected session id ${JSON.stringify(sessionId)}`);
    return path.join(path.resolve(this.deps.root), sessionId);
  }

  /** Copies the file resources' bytes (once each), creates outputs/, and returns the mounts. */
  async prepare(session: SessionRow): Promise<SandboxMount[]> {
    const root = this.sessionRoot(session.id);
    // 0711: the sandbox uid may pass through to its own mounts and list nothing here.
    for (const dir of [path.dirname(root), root, path.join(root, 'files')]) {
      await mkdir(dir, { recursive: true, mode: 0o711 });
      await chmod(dir, 0o711);
    }
    const outputs = path.join(root, 'outputs');
    await mkdir(outputs, { recursive: true, mode: 0o755 });
    const resources = parseJson<{ type: string; id: string; file_id?: string; mount_path?: string }[]>(session.resources, 'sessions.resources').filter((r) => r.type === 'file');
    const mounts: SandboxMount[] = [];
    for (const resource of resources) {
      const copy = path.join(root, 'files', resource.id);
      if (await this.ensureCopy(session, resource.file_id!, copy)) mounts.push({ hostPath: copy, sandboxPath: resource.mount_path!, readOnly: true });
    }
    const kept = new Set(resources.map((r) => r.id));
    for (const name of await readdir(path.join(root, 'files'))) if (!kept.has(name)) await rm(path.join(root, 'files', name), { force: true });
    mounts.push({ hostPath: outputs, sandboxPath: OUTPUTS_SANDBOX_PATH, readOnly: false });
    return mounts;
  }

  /** The copy of a file's bytes at `target`; false (logged) when the file or its bytes are gone. */
  private async ensureCopy(session: SessionRow, fileId: string, target: string): Promise<boolean> {
    if (await lstat(target).then((s) => s.isFile(), () => false)) return true;
    const row = await this.deps.store.files.find(session.tenant_id, fileId);
    const stream = row ? await this.deps.blobs.get(row.sha256) : undefined;
    if (!row || !stream) {
      this.deps.logger?.warn({ sessionId: session.id, fileId }, 'a file resource of the session is not mounted: the file or its content no longer exists');
      return false;
    }
    const partial = `${target}.partial-${process.pid}`;
    await pipeline(stream, createWriteStream(partial, { mode: 0o444 }));
    await chmod(partial, 0o444);
    await rename(partial, target);
    return true;
  }

  /** Turns what is new in the session's outputs/ into Files scoped to the session; returns them. */
  async collectOutputs(session: SessionRow): Promise<FileMetadata[]> {
    const outputs = path.join(this.sessionRoot(session.id), 'outputs');
    const created: FileMetadata[] = [];
    for (const relative of await this.listOutputs(outputs, session.id)) {
      const file = await this.collectOne(session, outputs, relative);
      if (file) created.push(file);
    }
    return created;
  }

  /** Relative paths of the regular files under outputs/, sorted; nothing when it does not exist. */
  private async listOutputs(outputs: string, sessionId: string): Promise<string[]> {
    const found: string[] = [];
    let seen = 0;
    const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (++seen > MAX_OUTPUT_ENTRIES) return;
        const full = path.join(dir, name);
        const stats = await lstat(full).catch(() => undefined);
        const relative = prefix ? `${prefix}/${name}` : name;
        if (stats?.isFile()) found.push(relative);
        else if (stats?.isDirectory() && depth < MAX_OUTPUT_DEPTH) await walk(full, relative, depth + 1);
      }
    };
    await walk(outputs, '', 0);
    if (seen > MAX_OUTPUT_ENTRIES) this.deps.logger?.warn({ sessionId }, `more than ${MAX_OUTPUT_ENTRIES} entries under ${OUTPUTS_SANDBOX_PATH}; only the first were collected`);
    return found;
  }

  private async collectOne(session: SessionRow, outputs: string, relative: string): Promise<FileMetadata | undefined> {
    const { store, files, logger, maxOutputBytes } = this.deps;
    const handle = await open(path.join(outputs, relative), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
    if (!handle) return undefined;
    const spool = path.join(this.deps.spoolDir, `output-${newId('file')}`);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return undefined;
      if (stats.size > maxOutputBytes) {
        logger?.warn({ sessionId: session.id, path: relative, sizeBytes: stats.size }, `an output is larger than FILES_MAX_BYTES (${maxOutputBytes}) and was not collected`);
        return undefined;
      }
      // Hashed in place first: an output collected at an earlier turn end costs one read, no copy.
      if (await store.files.hasOutput(session.id, relative, await hashFile(handle))) return undefined;
      const { sha256, sizeBytes } = await spoolFile(handle, spool, maxOutputBytes);
      if (await store.files.hasOutput(session.id, relative, sha256)) return undefined;
      return await files.create(session.tenant_id, { tmpPath: spool, filename: path.posix.basename(relative), sizeBytes, sha256, sessionId: session.id, outputPath: relative });
    } catch (err) {
      // Another run collected it meanwhile (the primary key of session_outputs): nothing to add.
      if (store.isUniqueViolation(err)) return undefined;
      throw err;
    } finally {
      await handle.close();
      await rm(spool, { force: true });
    }
  }

  async remove(sessionId: string): Promise<void> {
    await rm(this.sessionRoot(sessionId), { recursive: true, force: true });
  }
}

async function hashFile(handle: Awaited<ReturnType<typeof open>>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Copies an open file to `target` (0600), hashing it; stops counting past `limit` bytes. */
async function spoolFile(handle: Awaited<ReturnType<typeof open>>, target: string, limit: number): Promise<{ sha256: string; sizeBytes: number }> {
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sizeBytes += chunk.length;
      if (sizeBytes > limit) return callback(new Error(`the output grew past ${limit} bytes while it was read`));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(handle.createReadStream({ autoClose: false, start: 0 }), meter, createWriteStream(target, { mode: 0o600 }));
  return { sha256: hash.digest('hex'), sizeBytes };
}
