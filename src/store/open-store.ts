/** Opens the configured database, runs migrations, and returns the Store. */
import type { Config } from '../config/schema.ts';
import { createSqliteDialect } from './sqlite/sqlite-dialect.ts';
import { createPostgresDialect } from './postgres/postgres-dialect.ts';
import { migrate } from './migrate.ts';
import { Store } from './store.ts';

/**
 * `instanceId` names this server's connections (Postgres application_name), so notifications tell
 * their origin. `migrate: false` opens the database as it is (the vault sidecar, which must not
 * create tables in a database the server never used).
 */
export async function openStore(database: Config['database'], options: { instanceId?: string; migrate?: boolean } = {}): Promise<Store> {
  const dialect = database.kind === 'sqlite'
    ? createSqliteDialect({ path: database.path, synchronous: database.synchronous, busyTimeoutMs: database.busyTimeoutMs })
    : createPostgresDialect({ url: database.url, instanceId: options.instanceId, maxConnections: database.poolMax, connectionTimeoutMs: database.poolTimeoutMs });
  try {
    if (options.migrate !== false) await migrate(dialect);
  } catch (err) {
    await dialect.close();
    throw err;
  }
  return new Store(dialect);
}
