/**
 * An exclusive, process-lifetime lock on a file, held as an open SQLite `BEGIN EXCLUSIVE`
 * transaction. Underneath it is a POSIX record lock, so the kernel releases it when the holder dies
 * (kill -9 included): there is no stale lock to clean up, and no pid guessing decides who holds it.
 * Within one process SQLite tracks its own locks, so a second holder in the same process is refused too.
 */
import BetterSqlite3 from 'better-sqlite3';

export interface FileLock {
  release(): void;
}

/** Takes the lock on `path` (created if absent), or returns undefined at once when someone holds it. */
export function tryLockFile(path: string): FileLock | undefined {
  const db = new BetterSqlite3(path, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw err;
  }
  return {
    release() {
      if (db.open) db.close();
    },
  };
}
