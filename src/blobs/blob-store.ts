/**
 * The blob store port: immutable byte strings addressed by the lowercase hex SHA-256 of their
 * content. Memory stores keep their content here (and, later, Files). Implementations: a local
 * directory (`LocalBlobStore`) and any S3-compatible bucket (`S3BlobStore`). Callers own the
 * reference counting: `delete` removes the bytes whatever still refers to them.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** Bytes to store: a buffer, or a stream read once (its hash is checked while it is written). */
export type BlobInput = Buffer | Readable | AsyncIterable<Uint8Array>;

export interface BlobStore {
  /** "local /data/memory-blobs", "s3 http://host:9000/bucket" — for /health and logs (never credentials). */
  readonly description: string;
  /**
   * Stores the bytes under `hash` (idempotent: an existing blob is kept). Throws when the content
   * does not hash to `hash`, leaving nothing behind.
   */
  put(hash: string, data: BlobInput): Promise<void>;
  /** Streams the blob; undefined when there is no blob with that hash. */
  get(hash: string): Promise<Readable | undefined>;
  /** Removes the blob; a missing one is not an error. */
  delete(hash: string): Promise<void>;
}

/** Lowercase hex SHA-256 of the bytes, as memories report it in `content_sha256`. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** Refuses anything but a lowercase hex SHA-256 (hashes become file names and object keys). */
export function assertHash(hash: string): void {
  if (!HASH_PATTERN.test(hash)) throw new Error(`blob key ${JSON.stringify(hash)} is not a lowercase hex SHA-256`);
}

/** Reads a whole blob into memory (memories are at most 100 kB). */
export async function readBlob(store: BlobStore, hash: string): Promise<Buffer | undefined> {
  const stream = await store.get(hash);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Yields the input's chunks whatever its kind. */
export async function* chunksOf(data: BlobInput): AsyncIterable<Buffer> {
  if (Buffer.isBuffer(data)) {
    yield data;
    return;
  }
  for await (const chunk of data) yield Buffer.from(chunk);
}
