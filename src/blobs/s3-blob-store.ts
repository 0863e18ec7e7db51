/**
 * Blobs as objects in an S3-compatible bucket (AWS, R2, OSS, MinIO…), key `<prefix><hash>`, through
 * `@aws-sdk/client-s3`. The credentials stay in this object: they never reach a sandbox, a
 * response, an event or a log line (`description` names only the endpoint and bucket).
 * A buffer is checked and sent as is; a stream (Files, up to FILES_MAX_BYTES) is first spooled to
 * a temporary file while it is hashed, so its hash is checked before anything is uploaded and it is
 * never held in memory whole. Trade-off: one extra local copy per streamed put.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertHash, chunksOf, sha256Hex, type BlobInput, type BlobStore } from './blob-store.ts';
import { describeS3Bucket, type S3BlobStoreOptions } from './s3-options.ts';

export type { S3BlobStoreOptions };


/** The slice of the S3 client this adapter uses. */
interface S3Like {
  send(command: PutObjectCommand | GetObjectCommand | DeleteObjectCommand): Promise<unknown>;
  destroy(): void;
}

export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: S3Like;
  private readonly prefix: string;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Many S3-compatible stores reject the SDK's default CRC32 checksum headers and trailers;
      // the content hash is checked here instead.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.prefix = options.prefix ?? '';
    this.description = describeS3Bucket(options);
  }

  private key(hash: string): string {
    assertHash(hash);
    return `${this.prefix}${hash}`;
  }

  async put(hash: string, data: BlobInput): Promise<void> {
    const key = this.key(hash);
    if (Buffer.isBuffer(data)) {
      const digest = sha256Hex(data);
      if (digest !== hash) throw new Error(`blob content hashes to ${digest}, not to the key ${hash}`);
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: data, ContentLength: data.length, ContentType: 'application/octet-stream' }));
      return;
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'oma-s3-put-'));
    try {
      const file = path.join(dir, 'blob');
      const { digest, size } = await spoolHashed(file, data);
      if (digest !== hash) throw new Error(`blob content hashes to ${digest}, not to the key ${hash}`);
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: createReadStream(file), ContentLength: size, ContentType: 'application/octet-stream' }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async get(hash: string): Promise<Readable | undefined> {
    try {
      const out = (await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(hash) }))) as { Body?: Readable };
      return out.Body;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(hash: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(hash) }));
  }

  close(): void {
    this.client.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** Writes the stream to `file` (0600), returning its SHA-256 and length. */
async function spoolHashed(file: string, data: BlobInput): Promise<{ digest: string; size: number }> {
  const hasher = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(chunksOf(data), tap, createWriteStream(file, { mode: 0o600 }));
  return { digest: hasher.digest('hex'), size };
}
