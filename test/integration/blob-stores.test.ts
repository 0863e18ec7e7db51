import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { LocalBlobStore } from '../../src/blobs/local-blob-store.ts';
import { S3BlobStore } from '../../src/blobs/s3-blob-store.ts';
import { sha256Hex } from '../../src/blobs/blob-store.ts';
import { blobStoreContract } from '../contract/blob-store.contract.ts';
import { startTestS3 } from '../support/s3-server.ts';

blobStoreContract('local directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oma-blobs-'));
  return { store: new LocalBlobStore(dir), close: async () => rmSync(dir, { recursive: true, force: true }) };
});

blobStoreContract('s3 (s3rver on loopback)', async () => {
  const s3 = await startTestS3();
  const store = new S3BlobStore({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, prefix: 'memory/' });
  return { store, close: async () => { store.close(); await s3.close(); } };
});

describe('s3 blob store credentials', () => {
  // s3rver checks the access key id but not v4 signatures, so the wrong credential here is the key id.
  it('fails loudly with unknown credentials and never names the secret in the error or the description', async () => {
    const s3 = await startTestS3();
    const secret = 'wrong-secret-key-value';
    const store = new S3BlobStore({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', accessKeyId: 'NOT-A-KEY', secretAccessKey: secret, forcePathStyle: true });
    try {
      const err = await store.put(sha256Hex('x'), Buffer.from('x')).then(() => undefined, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect(err!.name).toBe('InvalidAccessKeyId');
      expect(`${err!.message} ${JSON.stringify(err)}`).not.toContain(secret);
      expect(store.description).toBe(`s3 ${s3.endpoint}/${s3.bucket}`);
    } finally {
      store.close();
      await s3.close();
    }
  });
});
