/**
 * `oma migrate-to-postgres --url URL`: copies every table of this installation's SQLite database
 * into an empty Postgres database whose schema our migrations make first, in batches, in one
 * Postgres transaction (a failure leaves the target as it was: run the command again), then checks
 * per-table counts and a sample of rows. The server must be stopped (it holds DATA_DIR's lock):
 * writes after the copy would stay behind in SQLite. The SQLite file is left untouched.
 */
import type { Config } from '../config/schema.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { copyStore, prepareEmptyTarget, type ImportResult } from '../store/database-export.ts';
import { databaseRowSource } from '../store/table-copy.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { BackupError } from './backup.ts';

export interface MigrateOptions {
  url: string;
  force: boolean;
  progress?: (table: string, copied: number) => void;
}

export async function migrateToPostgres(config: Config, options: MigrateOptions): Promise<ImportResult> {
  if (config.database.kind !== 'sqlite') throw new BackupError('DATABASE_URL is set: this server already uses Postgres (unset it to name the SQLite database to copy)');
  const lock = lockDataDir(config.dataDir);
  let source: Store | undefined;
  let target: Store | undefined;
  try {
    source = await openStore(config.database);
    target = await openStore({ kind: 'postgres', url: options.url });
    await prepareEmptyTarget(target, options.force, 'the Postgres database');
    const result = await copyStore(databaseRowSource(source.dialect), target, options.progress);
    if (result.problems.length > 0) throw new BackupError(`the copy does not match the source: ${result.problems.slice(0, 5).join('; ')}; run again with --force`);
    return result;
  } finally {
    await source?.close();
    await target?.close();
    lock.release();
  }
}
