/**
 * The per-session directory `<workdirRoot>/<sessionId>/`: created on first use with mode 0700,
 * plus the `.oma/` state directory (shell state, and TMPDIR for the subprocess provider).
 */
import { chown, lstat, mkdir, readdir, rm, chmod } from 'node:fs/promises';
import path from 'node:path';
import { STATE_DIRECTORY_NAME } from './shell-script.ts';

export interface SessionDirectoryOptions {
  workdirRoot: string;
  sessionId: string;
  /** Owner of the directory (bwrap runs each session as its own unprivileged uid). */
  owner?: { uid: number; gid: number };
  /** Mode of the workdir root; bwrap needs 0711 so the session uid can traverse it. */
  rootMode?: number;
}

/** Returns the host path of the session directory without touching the disk. */
export function sessionDirectoryPath(workdirRoot: string, sessionId: string): string {
  return path.join(path.resolve(workdirRoot), sessionId);
}

/** Creates (or repairs) the session directory and returns its host path. */
export async function ensureSessionDirectory(options: SessionDirectoryOptions): Promise<string> {
  const root = path.resolve(options.workdirRoot);
  await mkdir(root, { recursive: true, mode: options.rootMode ?? 0o700 });
  if (options.rootMode !== undefined) await chmod(root, options.rootMode);
  const directory = sessionDirectoryPath(root, options.sessionId);
  await mkdir(directory, { mode: 0o700 }).catch(ignoreExists);
  await chmod(directory, 0o700);
  await mkdir(path.join(directory, STATE_DIRECTORY_NAME, 'tmp'), { recursive: true, mode: 0o700 });
  if (options.owner) await ensureOwner(directory, options.owner);
  return directory;
}

/** Removes the session directory; safe when it does not exist. */
export async function removeSessionDirectory(workdirRoot: string, sessionId: string): Promise<void> {
  await rm(sessionDirectoryPath(workdirRoot, sessionId), { recursive: true, force: true });
}

function ignoreExists(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EEXIST') throw error;
}

/**
 * Gives the tree to the session's uid when its top is owned by someone else (a directory first
 * used by the subprocess provider). Uses lchown-style semantics: symlinks are not followed.
 */
async function ensureOwner(directory: string, owner: { uid: number; gid: number }): Promise<void> {
  const stats = await lstat(directory);
  const stateStats = await lstat(path.join(directory, STATE_DIRECTORY_NAME));
  if (stats.uid === owner.uid && stateStats.uid === owner.uid) return;
  await chownTree(directory, owner);
}

async function chownTree(target: string, owner: { uid: number; gid: number }): Promise<void> {
  const stats = await lstat(target);
  if (stats.isSymbolicLink()) return;
  await chown(target, owner.uid, owner.gid);
  if (!stats.isDirectory()) return;
  for (const name of await readdir(target)) await chownTree(path.join(target, name), owner);
}
