/**
 * The per-session directory `<workdirRoot>/<sessionId>/`: created on first use with mode 0700,
 * plus the `.oma/` state directory (shell state, and TMPDIR for the subprocess provider).
 *
 * Security boundary (issue #24, finding 6): everything below the session directory is written by the
 * agent, so the server (root, with bwrap) never follows a symlink there. Each component it creates is
 * checked with lstat; a symlink or file in its place is unlinked (never followed) and a real directory
 * made; ownership changes use lchown. The workdir root and the session directory itself sit in
 * directories only the server writes, so they cannot be swapped. This runs when a sandbox is opened;
 * with bwrap no process of the session outlives its command, so nothing races these checks.
 */
import { lchown, lstat, mkdir, readdir, rm, chmod } from 'node:fs/promises';
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
  await assertRealDirectory(directory);
  await chmod(directory, 0o700);
  const state = await ensureRealSubdirectory(directory, STATE_DIRECTORY_NAME);
  await ensureRealSubdirectory(state, 'tmp');
  if (options.owner) await ensureOwner(directory, options.owner);
  return directory;
}

async function assertRealDirectory(target: string): Promise<void> {
  const stats = await lstat(target);
  if (stats.isSymbolicLink() || !stats.isDirectory()) throw new Error(`${target} is not a directory (a symlink or file is in its place); refusing to use it`);
}

/**
 * `parent/name` as a real directory: whatever else is there (a symlink the agent planted, a file) is
 * unlinked without being followed, then the directory is made. `parent` must be a checked real directory.
 */
async function ensureRealSubdirectory(parent: string, name: string): Promise<string> {
  const target = path.join(parent, name);
  const stats = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats && (stats.isSymbolicLink() || !stats.isDirectory())) await rm(target, { force: true });
  if (!stats || stats.isSymbolicLink() || !stats.isDirectory()) await mkdir(target, { mode: 0o700 });
  await assertRealDirectory(target);
  return target;
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
 * used by the subprocess provider). lstat and lchown: symlinks are neither followed nor descended.
 */
async function ensureOwner(directory: string, owner: { uid: number; gid: number }): Promise<void> {
  const stats = await lstat(directory);
  const stateStats = await lstat(path.join(directory, STATE_DIRECTORY_NAME));
  if (stats.uid === owner.uid && stateStats.uid === owner.uid) return;
  await chownTree(directory, owner);
}

/** Gives a whole tree to `owner` without following symlinks (bwrap's memory directories). */
export async function chownTree(target: string, owner: { uid: number; gid: number }): Promise<void> {
  const stats = await lstat(target);
  if (stats.isSymbolicLink()) return;
  await lchown(target, owner.uid, owner.gid);
  if (!stats.isDirectory()) return;
  for (const name of await readdir(target)) await chownTree(path.join(target, name), owner);
}
