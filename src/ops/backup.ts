/**
 * `oma backup --out DIR`: an online, consistent copy of one installation — the database snapshot
 * first (so every blob a row points at was written before it and is copied after), then auth.db,
 * then the directory trees, then manifest.json with every file's SHA-256. A backup without a
 * manifest is incomplete, and restore refuses it.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { exportDatabase, snapshotSqliteFile } from '../store/database-export.ts';
import { VERSION } from '../version.ts';
import { copyTree, listTree } from './file-tree.ts';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, backupRoots, MANIFEST, rootDir, type Manifest } from './backup-layout.ts';

const SECRET_FILES = ['.better-auth-secret', '.platform-root-secret'];

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export async function createBackup(config: Config, out: string): Promise<Manifest> {
  if (existsSync(out) && readdirSync(out).length > 0) throw new BackupError(`${out} is not empty; give --out a new or empty directory`);
  const target = resolve(out);
  for (const root of backupRoots(config)) {
    const rel = relative(root.dir, target);
    // A backup inside what it copies would copy itself (and every earlier backup kept there).
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) throw new BackupError(`--out ${out} is inside ${root.dir}, which the backup copies; write it somewhere else (another disk or volume)`);
  }
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const database = await exportDatabase(config.database, join(out, 'database'));
  // With AUTH_DATABASE_URL the users live in their own Postgres database: pg_dump it (docs/operations.md).
  const authIncluded = config.authDatabaseUrl === undefined && existsSync(config.authDatabasePath);
  if (authIncluded) {
    mkdirSync(join(out, 'auth'), { mode: 0o700 });
    snapshotSqliteFile(config.authDatabasePath, join(out, 'auth', 'auth.db'));
  }
  const roots = backupRoots(config);
  for (const root of roots) copyTree(root.dir, rootDir(out, root.name), root.skip);
  const manifest: Manifest = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    created_at: new Date().toISOString(),
    oma_version: VERSION,
    database: { kind: database.kind, migration_level: database.migrationLevel, tables: database.tables },
    auth: { included: authIncluded },
    roots: Object.fromEntries(roots.map((r) => [r.name, r.dir])),
    secret_files: SECRET_FILES.filter((f) => existsSync(join(config.dataDir, f))),
    files: listTree(out, new Set([MANIFEST])),
  };
  writeFileSync(join(out, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}
