/** What the bwrap provider needs to know about the host: binaries, the /usr layout, the session uid range. */
import { access, constants, lstat, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BwrapHostLayout } from './bwrap-arguments.ts';
import { DEFAULT_SANDBOX_PATH } from './shared/environment.ts';

const TOP_LEVEL_ENTRIES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** Range of outside uids given to sessions. Kept below 65536 so it also works in rootless containers. */
export interface UidRange {
  base: number;
  count: number;
}

export const DEFAULT_UID_RANGE: UidRange = { base: 50_000, count: 10_000 };

/** Finds an executable in the standard PATH; undefined when absent. */
export async function findExecutable(name: string): Promise<string | undefined> {
  for (const directory of DEFAULT_SANDBOX_PATH.split(':')) {
    const candidate = path.join(directory, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Resolves an absolute path (kept when executable) or a bare name (searched in the standard PATH). */
export async function resolveExecutable(nameOrPath: string): Promise<string | undefined> {
  if (!path.isAbsolute(nameOrPath)) return findExecutable(nameOrPath);
  try {
    await access(nameOrPath, constants.X_OK);
    return (await stat(nameOrPath)).isFile() ? nameOrPath : undefined;
  } catch {
    return undefined;
  }
}

/** Reads which of /bin, /lib, … are merged-/usr symlinks and which are real directories. */
export async function readHostLayout(): Promise<BwrapHostLayout> {
  const layout: BwrapHostLayout = { symlinks: {}, directories: [] };
  for (const name of TOP_LEVEL_ENTRIES) {
    const stats = await lstat(`/${name}`).catch(() => undefined);
    if (stats?.isSymbolicLink()) layout.symlinks[name] = await readlink(`/${name}`);
    else if (stats?.isDirectory()) layout.directories.push(name);
  }
  return layout;
}
