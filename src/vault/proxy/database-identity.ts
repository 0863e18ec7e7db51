/**
 * The seed's operator gotcha: oma-vault and oma-server must use the same database, or the sidecar
 * sees none of the credentials written through the API. The server records an identity value in the
 * database (platform_meta) and mirrors it into DATA_DIR/.database-id; the sidecar refuses to start
 * when its database has no identity (the server never used it) or another one than the server wrote.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../store/store.ts';
import { DATABASE_ID_FILE, DATABASE_ID_KEY } from './vault-egress.ts';

export class DatabaseMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseMismatchError';
  }
}

const FIX =
  'Give oma-vault the same DATABASE_URL (Postgres) or DATABASE_PATH (SQLite) and DATA_DIR as oma-server ' +
  '(the bundled docker-compose files do), start oma-server once, then start oma-vault again.';

/** Throws DatabaseMismatchError (with the fix) unless `store` is the database the server in `dataDir` uses. */
export async function checkDatabaseIdentity(store: Store, dataDir: string): Promise<string> {
  let id: string | undefined;
  try {
    id = await store.meta.get(DATABASE_ID_KEY);
  } catch {
    id = undefined; // no platform_meta table: a database no server ever migrated
  }
  if (!id) throw new DatabaseMismatchError(`oma-vault: ${store.description} has no database identity, so oma-server has never used it. ${FIX}`);
  const file = join(dataDir, DATABASE_ID_FILE);
  const expected = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (expected && expected !== id) {
    throw new DatabaseMismatchError(`oma-vault: ${store.description} is database ${id}, but the oma-server of DATA_DIR ${dataDir} uses database ${expected}. ${FIX}`);
  }
  return id;
}
