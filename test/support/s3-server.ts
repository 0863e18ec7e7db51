/**
 * A real S3-compatible server on loopback for the S3 blob store tests: s3rver (an S3 emulator that
 * speaks the S3 REST protocol; it checks the access key id, not v4 signatures), on port 0, with one bucket in a temp
 * directory. The stand-in for an outside service allowed by our test rules: the AWS client is real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** MEMORY_S3_* for a test server. */
  env: Record<string, string>;
  directory: string;
  close(): Promise<void>;
}

export async function startTestS3(bucket = 'oma-memory'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'oma-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    directory,
    // s3rver's fixed credentials; it rejects requests signed with anything else.
    env: { MEMORY_S3_ENDPOINT: endpoint, MEMORY_S3_BUCKET: bucket, MEMORY_S3_ACCESS_KEY: 'S3RVER', MEMORY_S3_SECRET_KEY: 'S3RVER', MEMORY_S3_FORCE_PATH_STYLE: '1' },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
