/**
 * Blobs as files under one directory (`MEMORY_BLOB_DIR`): `<dir>/<first two hex chars>/<hash>`.
 * A put streams into a temporary file in the same directory, hashing as it goes, fsyncs it and
 * renames it into place, so a crash leaves either the whole blob or none (plus at most a stray
 * `.tmp-*` file, which later puts ignore).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { assertHash, chunksOf, type BlobInput, type BlobStore } from './blob-store.ts';

export class LocalBlobStore implements BlobStore {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.description = `local ${this.root}`;
  }

  private pathOf(hash: string): string {
    assertHash(hash);
    return path.join(this.root, hash.slice(0, 2), hash);
  }

  async put(hash: string, data: BlobInput): Promise<void> {
    const target = this.pathOf(hash);
    if (await exists(target)) {
      // Content-addressed: the bytes are already there. Drain a stream so its producer finishes.
      if (!Buffer.isBuffer(data)) for await (const _ of chunksOf(data));
      return;
    }
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      const digest = await writeHashed(tmp, data);
      if (digest !== hash) throw new Error(`blob content hashes to ${digest}, not to the key ${hash}`);
      const handle = await open(tmp, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(tmp, target);
    } catch (err) {
      // Best-effort cleanup after the primary error, which is the one rethrown.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async get(hash: string): Promise<Readable | undefined> {
    const file = this.pathOf(hash);
    if (!(await exists(file))) return undefined;
    return createReadStream(file);
  }

  async delete(hash: string): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function writeHashed(file: string, data: BlobInput): Promise<string> {
  const hasher = createHash('sha256');
  const out = createWriteStream(file, { mode: 0o600, flags: 'wx' });
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  try {
    for await (const chunk of chunksOf(data)) {
      hasher.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
    }
  } finally {
    out.end();
  }
  await finished;
  return hasher.digest('hex');
}
