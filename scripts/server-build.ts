/**
 * Compiles the server (src/, tests left out) into dist/ when it is out of date, so `npm start`, the
 * image, `npm run oma` and `npm run vault` run plain `node` on JavaScript instead of loading tsx's
 * loader (a second V8 isolate holding every transpiled source: ~50 MB of resident memory). Run by
 * `prestart`, `preoma` and `prevault`; skipped when a hash of the sources matches the one written
 * next to the last build. `--force` rebuilds anyway.
 *
 * tsc (tsconfig.build.json) rather than a bundler: it is already a dependency, it rewrites the `.ts`
 * import specifiers (rewriteRelativeImportExtensions) and keeps one output file per source at the
 * same depth, so paths resolved from import.meta.url (console/dist, package.json) and the lazy
 * `import()`s of optional SDKs work unchanged. Types are checked by `npm run typecheck`, not here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readStamp, sourceHash } from './build-stamp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SERVER_DIST = join(ROOT, 'dist');
const STAMP = '.oma-build-hash';
const SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json'];

function tscPath(): string {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new Error('server-build: the TypeScript compiler (a devDependency) is not installed; run `npm ci` (not --omit=dev), or use the Docker image, which ships dist/ built');
  }
}

/** Builds dist/ unless its stamp matches the sources (or `force`); returns whether it built. */
export function buildServer(options: { force?: boolean } = {}): boolean {
  const hash = sourceHash(ROOT, SOURCES, (file) => !file.endsWith('.test.ts'));
  if (!options.force && readStamp(join(SERVER_DIST, STAMP)) === hash) return false;
  // Built beside dist/ and swapped in, so a server starting meanwhile never sees half a build.
  const building = `${SERVER_DIST}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const res = spawnSync(process.execPath, [tscPath(), '-p', 'tsconfig.build.json', '--outDir', building], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`server-build: tsc -p tsconfig.build.json failed (exit ${res.status ?? res.signal})`);
  }
  // Another build of the same sources (a concurrent test file) finished first: keep its dist/ in place.
  if (readStamp(join(SERVER_DIST, STAMP)) === hash) {
    rmSync(building, { recursive: true, force: true });
    return true;
  }
  writeFileSync(join(building, STAMP), `${hash}\n`);
  const old = `${SERVER_DIST}.old-${process.pid}`;
  try {
    if (existsSync(SERVER_DIST)) renameSync(SERVER_DIST, old);
    renameSync(building, SERVER_DIST);
  } catch (err) {
    // Another build swapped its own in at the same moment: fine if it built these sources.
    if (readStamp(join(SERVER_DIST, STAMP)) !== hash) throw err;
  } finally {
    rmSync(old, { recursive: true, force: true });
    rmSync(building, { recursive: true, force: true });
  }
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const started = Date.now();
    if (buildServer({ force: process.argv.includes('--force') })) process.stderr.write(`server-build: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
