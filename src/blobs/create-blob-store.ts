/**
 * Picks the blob stores from the config: S3 when `MEMORY_S3_*` is set, else local directories.
 * The S3 store (and the AWS SDK, ~20 MB resident) is imported on its first use, not at boot.
 */
import type { Config } from '../config/schema.ts';
import type { BlobStore } from './blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import { describeS3Bucket, type S3BlobStoreOptions } from './s3-options.ts';
import { lazy } from '../lib/lazy.ts';

function lazyS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const store = lazy(async () => new (await import('./s3-blob-store.ts')).S3BlobStore(options));
  return {
    description: describeS3Bucket(options),
    put: async (hash, data) => (await store()).put(hash, data),
    get: async (hash) => (await store()).get(hash),
    delete: async (hash) => (await store()).delete(hash),
  };
}

export function createMemoryBlobStore(config: Pick<Config, 'memoryBlobDir' | 'memoryS3'>): BlobStore {
  if (!config.memoryS3) return new LocalBlobStore(config.memoryBlobDir);
  return lazyS3BlobStore({ ...config.memoryS3, prefix: 'memory/' });
}

/** Files and skills: the `MEMORY_S3_*` bucket under `files/`, else `FILES_BLOB_DIR`. */
export function createFileBlobStore(config: Pick<Config, 'files' | 'memoryS3'>): BlobStore {
  if (!config.memoryS3) return new LocalBlobStore(config.files.blobDir);
  return lazyS3BlobStore({ ...config.memoryS3, prefix: 'files/' });
}
