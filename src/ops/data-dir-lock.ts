/**
 * One server per DATA_DIR. The server takes `DATA_DIR/.lock` before it opens the database or touches
 * a sandbox, and writes its pid into `DATA_DIR/server.pid` for the one-line refusal a second server
 * prints. Two servers on one DATA_DIR would share an INSTANCE_ID, take each other's leases and kill
 * each other's "leftover" commands; several instances need a DATA_DIR each (and one Postgres).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tryLockFile } from '../store/file-lock.ts';

/** Another live process holds the DATA_DIR. */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly holderPid: number | undefined) {
    super(
      `DATA_DIR ${dataDir} is in use by another oma-server (pid ${holderPid ?? 'unknown'}); ` +
        'stop it first, or give this server its own DATA_DIR (several instances share one Postgres, not a DATA_DIR)',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

export const LOCK_FILE = '.lock';
export const PID_FILE = 'server.pid';

/** The pid recorded by the current (or last) holder, if any. */
export function readHolderPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // no pid file yet: the holder is between taking the lock and writing it
  }
}

/** Takes the DATA_DIR lock for this process; throws DataDirInUseError when another process holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const lock = tryLockFile(join(dataDir, LOCK_FILE));
  if (!lock) throw new DataDirInUseError(dataDir, readHolderPid(dataDir));
  const pidFile = join(dataDir, PID_FILE);
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o644 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readHolderPid(dataDir) === process.pid) rmSync(pidFile, { force: true });
      lock.release();
    },
  };
}

/** True when some process holds the DATA_DIR lock now (for backup/restore/doctor). */
export function isDataDirLocked(dataDir: string): boolean {
  const lock = tryLockFile(join(dataDir, LOCK_FILE));
  if (!lock) return true;
  lock.release();
  return false;
}
