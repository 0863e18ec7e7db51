/** Picks the blob stores from the config: S3 when `MEMORY_S3_*` is set, else local directories. */
import type { Config } from '../config/schema.ts';
import type { BlobStore } from './blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import { S3BlobStore } from './s3-blob-store.ts';

export function createMemoryBlobStore(config: Pick<Config, 'memoryBlobDir' | 'memoryS3'>): BlobStore {
  if (!config.memoryS3) return new LocalBlobStore(config.memoryBlobDir);
  return new S3BlobStore({ ...config.memoryS3, prefix: 'memory/' });
}

/** Files and skills: the `MEMORY_S3_*` bucket under `files/`, else `FILES_BLOB_DIR`. */
export function createFileBlobStore(config: Pick<Config, 'files' | 'memoryS3'>): BlobStore {
  if (!config.memoryS3) return new LocalBlobStore(config.files.blobDir);
  return new S3BlobStore({ ...config.memoryS3, prefix: 'files/' });
}
