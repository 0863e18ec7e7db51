/**
 * Where things are in a backup directory and what of DATA_DIR goes into it. A backup holds:
 *   manifest.json          versions, row counts, every file's size, mode and SHA-256 (written last)
 *   database/              the database export (store/database-export.ts)
 *   auth/auth.db           better-auth's SQLite file (VACUUM INTO), when it has one
 *   files/data/            DATA_DIR: secret files, the vault CA, and whatever else lives there
 *   files/sandboxes/       SANDBOX_WORKDIR, when it is outside DATA_DIR (else it is under files/data)
 *   files/memory-blobs/    MEMORY_BLOB_DIR, likewise
 * Left out: the lock and pid files, the live database files (the export replaces them), and the
 * subprocess ledger (pids of this machine).
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { FileEntry } from './file-tree.ts';
import { LOCK_FILE, PID_FILE } from './data-dir-lock.ts';

export const MANIFEST = 'manifest.json';
export const BACKUP_FORMAT = 'oma-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  created_at: string;
  oma_version: string;
  database: { kind: 'sqlite' | 'postgres'; migration_level: number; tables: Record<string, number> };
  auth: { included: boolean };
  /** Root name → what it was on the backed-up server (for the operator; restore uses its own config). */
  roots: Record<string, string>;
  /** Secret files that are in the backup; a secret set in the environment is not, and must be set again. */
  secret_files: string[];
  files: FileEntry[];
}

export interface Root {
  name: 'data' | 'sandboxes' | 'memory-blobs';
  dir: string;
  /** Paths relative to dir (with "/") left out, and everything under them. */
  skip(rel: string): boolean;
}

/** `child` relative to `parent` with "/" separators, or undefined when it is not inside. */
function inside(parent: string, child: string): string | undefined {
  const rel = relative(parent, child);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
}

const under = (rel: string, prefix: string | undefined) => prefix !== undefined && (rel === prefix || rel.startsWith(`${prefix}/`));

/** The directory trees of this configuration that a backup carries. */
export function backupRoots(config: Config): Root[] {
  const dbFiles = (path: string) => ['', '-wal', '-shm', '-journal'].map((s) => inside(config.dataDir, `${path}${s}`));
  const excluded = new Set([LOCK_FILE, `${LOCK_FILE}-journal`, PID_FILE, ...dbFiles(config.authDatabasePath), ...(config.database.kind === 'sqlite' ? dbFiles(config.database.path) : [])].filter((x): x is string => x !== undefined));
  const sandboxesInData = inside(config.dataDir, config.sandbox.workdir);
  const blobsInData = inside(config.dataDir, config.memoryBlobDir);
  // The process ledger and the subprocess mount alias trees (symlinks to host paths, rebuilt at every open) stay behind.
  const ledger = (rel: string, base: string | undefined) => ['.processes', '.mount-tree'].some((name) => under(rel, base === undefined ? name : `${base}/${name}`));
  const roots: Root[] = [{ name: 'data', dir: config.dataDir, skip: (rel) => excluded.has(rel) || (sandboxesInData !== undefined && ledger(rel, sandboxesInData)) }];
  if (sandboxesInData === undefined) roots.push({ name: 'sandboxes', dir: config.sandbox.workdir, skip: (rel) => ledger(rel, undefined) });
  if (blobsInData === undefined) roots.push({ name: 'memory-blobs', dir: config.memoryBlobDir, skip: () => false });
  return roots;
}

export const rootDir = (backup: string, name: Root['name']) => join(backup, 'files', name);
