/**
 * Copying directory trees into and out of a backup, and the SHA-256 list the manifest keeps.
 * Symlinks are copied as links and never followed: a sandbox may point one anywhere (/etc/shadow),
 * and a backup must not pick up what it points at.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface FileEntry {
  /** Relative to the backup directory, with "/" separators. */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  size?: number;
  sha256?: string;
  /** For a symlink: where it points (as written). */
  target?: string;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Copies `from` into `to` recursively, skipping entries for which `skip(relativePath)` is true.
 * A file that vanishes while being copied (a sandbox deleting it) is left out.
 */
export function copyTree(from: string, to: string, skip: (rel: string) => boolean = () => false): void {
  if (!existsSync(from)) return;
  const walk = (dir: string) => {
    const rel = relative(from, dir);
    mkdirSync(join(to, rel), { recursive: true, mode: lstatSync(dir).mode & 0o777 });
    for (const name of readdirSync(dir)) {
      const src = join(dir, name);
      const r = relative(from, src).split(sep).join('/');
      if (skip(r)) continue;
      let st;
      try {
        st = lstatSync(src);
      } catch {
        continue; // removed since readdir
      }
      const dest = join(to, r);
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dest);
      else if (st.isDirectory()) walk(src);
      else if (st.isFile()) {
        try {
          copyFileSync(src, dest);
          chmodSync(dest, st.mode & 0o777);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  };
  walk(from);
}

/** Every entry under `root` (relative paths), with checksums of files and of symlink targets. */
export function listTree(root: string, exclude: Set<string> = new Set()): FileEntry[] {
  const out: FileEntry[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const path = relative(root, abs).split(sep).join('/');
      if (exclude.has(path)) continue;
      const st = lstatSync(abs);
      const mode = st.mode & 0o777;
      if (st.isSymbolicLink()) {
        const target = readlinkSync(abs);
        out.push({ path, kind: 'symlink', mode, target, sha256: createHash('sha256').update(target).digest('hex') });
      } else if (st.isDirectory()) {
        out.push({ path, kind: 'dir', mode });
        walk(abs);
      } else if (st.isFile()) {
        out.push({ path, kind: 'file', mode, size: st.size, sha256: sha256File(abs) });
      }
    }
  };
  walk(root);
  return out;
}

/** Compares a directory with the entries a manifest lists; returns what differs (empty: intact). */
export function verifyTree(root: string, expected: FileEntry[], exclude: Set<string>): string[] {
  const actual = new Map(listTree(root, exclude).map((e) => [e.path, e]));
  const problems: string[] = [];
  for (const e of expected) {
    const a = actual.get(e.path);
    if (!a) problems.push(`${e.path}: missing`);
    else if (a.kind !== e.kind) problems.push(`${e.path}: is a ${a.kind}, the manifest says ${e.kind}`);
    else if (a.sha256 !== e.sha256) problems.push(`${e.path}: checksum differs (changed since the backup)`);
    actual.delete(e.path);
  }
  for (const extra of actual.keys()) problems.push(`${extra}: not in the manifest`);
  return problems;
}
