/**
 * The two storage backends every store, event-log and API test runs against. TEST_BACKENDS
 * (comma list) narrows them. Each call of `createTestDatabase` gives a fresh, empty database:
 * a temp SQLite file, or a new database on the local Postgres server that `drop()` removes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../../src/config/schema.ts';

export type Backend = 'sqlite' | 'postgres';

export const BACKENDS: Backend[] = (process.env.TEST_BACKENDS ?? 'sqlite,postgres')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is Backend => s === 'sqlite' || s === 'postgres');

/** Admin connection to the local Postgres server (trust auth). */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  backend: Backend;
  database: Config['database'];
  /** A data directory for the server (secrets, sandboxes, auth.db). */
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oma-test-'));
  if (backend === 'sqlite') {
    return {
      backend,
      dataDir,
      database: { kind: 'sqlite', path: join(dataDir, 'oma.db'), synchronous: 'NORMAL' },
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `oma_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    backend,
    dataDir,
    database: { kind: 'postgres', url: url.toString() },
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
