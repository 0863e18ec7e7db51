/**
 * Blobs as objects in an S3-compatible bucket (AWS, R2, OSS, MinIO…), key `<prefix><hash>`, through
 * `@aws-sdk/client-s3`. The credentials stay in this object: they never reach a sandbox, a
 * response, an event or a log line (`description` names only the endpoint and bucket).
 * Trade-off: a put reads its input into memory to check the hash before uploading, which suits
 * memories (≤ 100 kB); large inputs (Files) will want a multipart upload here.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { assertHash, chunksOf, sha256Hex, type BlobInput, type BlobStore } from './blob-store.ts';

export interface S3BlobStoreOptions {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. "memory/". */
  prefix?: string;
}

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
    this.description = `s3 ${options.endpoint ?? `s3.${options.region}.amazonaws.com`}/${options.bucket}`;
  }

  private key(hash: string): string {
    assertHash(hash);
    return `${this.prefix}${hash}`;
  }

  async put(hash: string, data: BlobInput): Promise<void> {
    const key = this.key(hash);
    const chunks: Buffer[] = [];
    for await (const chunk of chunksOf(data)) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const digest = sha256Hex(body);
    if (digest !== hash) throw new Error(`blob content hashes to ${digest}, not to the key ${hash}`);
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: 'application/octet-stream' }));
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
