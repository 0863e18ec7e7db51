/**
 * Host-side file access to a session's memory directories. Security boundary: the agent controls
 * these trees, so nothing here follows a symlink (entries are lstat'ed, files opened O_NOFOLLOW);
 * a symlink or special file is reported, never read. The server reads them only between tool calls,
 * when no sandbox command runs (bwrap commands die with their call), so the tree does not change
 * underneath. New files get the owner of the store directory (the session's uid under bwrap).
 */
import { constants } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export interface ScannedFile {
  /** Memory path: "/" + the path relative to the store directory. */
  path: string;
  bytes: Buffer;
}

export interface Scan {
  files: Map<string, ScannedFile>;
  /** Entries that cannot be memories (symlinks, devices), as memory paths. */
  skipped: string[];
}

/** Reads every regular file below `dir` (absent dir = empty). Files over `maxBytes` are listed with no bytes read. */
export async function scanDirectory(dir: string, maxBytes: number): Promise<Scan & { tooLarge: string[] }> {
  const out = { files: new Map<string, ScannedFile>(), skipped: [] as string[], tooLarge: [] as string[] };
  async function walk(abs: string, rel: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names.sort()) {
      const child = path.join(abs, name);
      const memPath = `${rel}/${name}`;
      const stats = await lstat(child);
      if (stats.isDirectory()) await walk(child, memPath);
      else if (!stats.isFile()) out.skipped.push(memPath);
      else if (stats.size > maxBytes) out.tooLarge.push(memPath);
      else out.files.set(memPath, { path: memPath, bytes: await readNoFollow(child) });
    }
  }
  await walk(dir, '');
  return out;
}

async function readNoFollow(file: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

export async function isDirectory(dir: string): Promise<boolean> {
  return (await lstat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

/** Writes a file below the store directory (parents created), owned like the store directory. */
export async function writeStoreFile(dir: string, memPath: string, bytes: Buffer): Promise<void> {
  const target = path.join(dir, memPath);
  const owner = await lstat(dir);
  let parent = dir;
  for (const segment of memPath.split('/').slice(1, -1)) {
    parent = path.join(parent, segment);
    const existing = await lstat(parent).catch(() => undefined);
    if (existing && !existing.isDirectory()) await rm(parent, { force: true });
    if (!existing || !existing.isDirectory()) {
      await mkdir(parent, { mode: 0o700 });
      await chown(parent, owner.uid, owner.gid);
    }
  }
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isDirectory()) await rm(target, { recursive: true, force: true });
  const tmp = path.join(path.dirname(target), `.oma-tmp-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
  await chown(tmp, owner.uid, owner.gid);
  await rename(tmp, target);
}

/** Removes a file below the store directory, and parent directories it leaves empty. */
export async function removeStoreFile(dir: string, memPath: string): Promise<void> {
  await rm(path.join(dir, memPath), { force: true });
  let parent = path.dirname(path.join(dir, memPath));
  while (parent.startsWith(`${dir}${path.sep}`)) {
    const left = await readdir(parent).catch(() => ['?']);
    if (left.length > 0) break;
    await rm(parent, { recursive: true, force: true });
    parent = path.dirname(parent);
  }
}

/** The manifest: content hash of each memory path as this session last saw it (its base for changes). */
export type Manifest = Record<string, string>;

export async function readManifest(file: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`memory manifest ${file} is unreadable`, { cause: err });
  }
}

export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, JSON.stringify(manifest), { mode: 0o600 });
  await rename(tmp, file);
}
