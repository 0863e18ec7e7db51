/**
 * A consistent copy of a live SQLite file: `VACUUM INTO` runs in one read transaction, so it sees
 * one committed state while the server keeps writing (WAL), and unlike the page-by-page backup API
 * it never restarts because a writer changed the source meanwhile. Used for oma.db and auth.db.
 */
import BetterSqlite3 from 'better-sqlite3';

/** Writes a snapshot of the database at `source` to `destination` (which must not exist). */
export function snapshotSqliteFile(source: string, destination: string): void {
  const db = new BetterSqlite3(source, { fileMustExist: true, timeout: 10_000 });
  try {
    db.prepare('VACUUM INTO ?').run(destination);
  } finally {
    db.close();
  }
}

/** Runs `PRAGMA integrity_check` on a SQLite file; returns the problems ("ok" gives none). */
export function checkSqliteFile(path: string): string[] {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  } finally {
    db.close();
  }
}
