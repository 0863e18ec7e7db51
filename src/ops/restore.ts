/**
 * `oma restore --from DIR`: checks every checksum of the backup first (a changed, missing or extra
 * file refuses the whole restore before anything is written), takes the DATA_DIR lock (no server
 * may run meanwhile), refuses a non-empty DATA_DIR or database unless `force`, then restores the
 * database (verified), auth.db and the directory trees.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { importDatabase, type ImportResult } from '../store/database-export.ts';
import { copyTree, verifyTree } from './file-tree.ts';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, backupRoots, MANIFEST, rootDir, type Manifest, type Root } from './backup-layout.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { BackupError } from './backup.ts';

/** Reads and checks a backup's manifest and every file it lists. */
export function verifyBackup(from: string): Manifest {
  const path = join(from, MANIFEST);
  if (!existsSync(path)) throw new BackupError(`${from} has no ${MANIFEST}: not a backup, or one that did not finish`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (manifest.format !== BACKUP_FORMAT || manifest.format_version > BACKUP_FORMAT_VERSION) {
    throw new BackupError(`${from} is not an oma backup this version can read (format ${manifest.format} ${manifest.format_version})`);
  }
  const problems = verifyTree(from, manifest.files, new Set([MANIFEST]));
  if (problems.length > 0) {
    throw new BackupError(`the backup in ${from} does not match its manifest, nothing restored: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
  }
  return manifest;
}

/**
 * What a root already holds, apart from what the root leaves out (lock, pid, database files) and
 * sockets (a stopped server's vault proxy socket is not data).
 */
function contents(root: Root): string[] {
  if (!existsSync(root.dir)) return [];
  return readdirSync(root.dir).filter((name) => !root.skip(name) && !lstatSync(join(root.dir, name)).isSocket());
}

export interface RestoreResult {
  manifest: Manifest;
  database: ImportResult;
}

export async function restoreBackup(config: Config, from: string, force: boolean): Promise<RestoreResult> {
  const manifest = verifyBackup(from);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(config.dataDir);
  try {
    const roots = backupRoots(config);
    const occupied = roots.flatMap((r) => contents(r).map((n) => join(r.dir, n)));
    if (!force && config.authDatabasePath && existsSync(config.authDatabasePath)) occupied.push(config.authDatabasePath);
    if (occupied.length > 0 && !force) {
      throw new BackupError(`not empty: ${occupied.slice(0, 3).join(', ')}${occupied.length > 3 ? ', …' : ''}; restore into an empty DATA_DIR, or use --force to replace what is there`);
    }
    // The database first: it refuses a non-empty target before any file is written.
    const database = await importDatabase(join(from, 'database'), manifest.database.kind, config.database, force);
    if (database.problems.length > 0) throw new BackupError(`the restored database does not match the backup: ${database.problems.slice(0, 5).join('; ')}`);
    for (const r of roots) for (const name of contents(r)) rmSync(join(r.dir, name), { recursive: true, force: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${config.authDatabasePath}${suffix}`, { force: true });
    if (manifest.auth.included) {
      mkdirSync(dirname(config.authDatabasePath), { recursive: true, mode: 0o700 });
      copyFileSync(join(from, 'auth', 'auth.db'), config.authDatabasePath);
    }
    const targets: Record<Root['name'], string> = { data: config.dataDir, sandboxes: config.sandbox.workdir, 'memory-blobs': config.memoryBlobDir };
    for (const name of Object.keys(manifest.roots) as Root['name'][]) copyTree(rootDir(from, name), targets[name]);
    return { manifest, database };
  } finally {
    lock.release();
  }
}
