/**
 * What console-build.ts and server-build.ts share: a hash of every file under a list of sources,
 * compared with the stamp written next to the last build, so a build runs only when its sources
 * changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => filesUnder(join(path, e.name)));
}

/** SHA-256 over the path and content of every file under `sources` (relative to `root`) that `keep` accepts. */
export function sourceHash(root: string, sources: readonly string[], keep: (file: string) => boolean = () => true): string {
  const hash = createHash('sha256');
  for (const file of sources.flatMap((s) => filesUnder(join(root, s))).filter(keep)) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

export function readStamp(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}
