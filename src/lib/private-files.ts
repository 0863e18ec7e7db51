/**
 * Files only the server user may read: databases (with their -wal/-shm/-journal companions) and
 * secrets (issue #24, finding 9). SQLite creates its companion files with the database file's own
 * mode, so creating the database 0600 before SQLite opens it keeps all of them private; files left
 * by older versions are narrowed to 0600 as well. Directories are left alone: bwrap needs DATA_DIR
 * to stay searchable (o+x) for sandbox uids, and 0600 files inside it are still unreadable to them.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * Creates `path` (empty, 0600) if missing and sets 0600 on it and on its SQLite companions that exist.
 * Synchronous: it runs once at boot, before the database is opened.
 */
export function preparePrivateDatabaseFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const suffix of COMPANIONS) {
    if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
  }
}
