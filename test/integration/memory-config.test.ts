import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'oma-memcfg-'));

describe('memory blob configuration', () => {
  it('uses MEMORY_BLOB_DIR under DATA_DIR unless MEMORY_S3_* is set', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.memoryBlobDir).toBe(join(dir, 'memory-blobs'));
    expect(config.memoryS3).toBeUndefined();
  });

  it('reads the S3 bucket, keys, region and path style together', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(), MEMORY_S3_ENDPOINT: 'http://127.0.0.1:9000', MEMORY_S3_BUCKET: 'b', MEMORY_S3_ACCESS_KEY: 'ak', MEMORY_S3_SECRET_KEY: 'sk',
      MEMORY_S3_REGION: 'eu-west-3', MEMORY_S3_FORCE_PATH_STYLE: '1',
    });
    expect(config.memoryS3).toEqual({ endpoint: 'http://127.0.0.1:9000', bucket: 'b', region: 'eu-west-3', accessKeyId: 'ak', secretAccessKey: 'sk', forcePathStyle: true });
  });

  it('refuses a partial S3 configuration, naming what is missing without echoing a key', () => {
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir(), MEMORY_S3_BUCKET: 'b', MEMORY_S3_SECRET_KEY: 'very-secret-value' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/MEMORY_S3_ACCESS_KEY/);
    expect((error as Error).message).not.toContain('very-secret-value');
    expect(() => loadConfig({ DATA_DIR: dataDir(), MEMORY_S3_ENDPOINT: 'not a url' })).toThrow(/MEMORY_S3_ENDPOINT/);
  });
});
