/**
 * Installs and builds the Console (console/, its own package and lockfile) when it is out of date,
 * so `npm ci && npm start` on a fresh clone serves it. Run by `prestart` and `pretest`; skipped
 * when nothing changed: the install when console/package-lock.json matches what was installed, the
 * build when a hash of every source file matches the one written next to the last build.
 * `--force` rebuilds anyway. Output goes to console/dist (git-ignored), served by the server.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONSOLE = fileURLToPath(new URL('../console', import.meta.url));
const INSTALL_STAMP = join(CONSOLE, 'node_modules', '.oma-installed-lock');
const BUILD_STAMP = join(CONSOLE, 'dist', '.oma-build-hash');
const SOURCES = ['src', 'public', 'index.html', 'package.json', 'package-lock.json', 'vite.config.ts', 'tsconfig.json'];

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => filesUnder(join(path, e.name)));
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap((s) => filesUnder(join(CONSOLE, s)))) {
    hash.update(relative(CONSOLE, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function readStamp(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

function run(command: string, args: string[]): void {
  const res = spawnSync(command, args, { cwd: CONSOLE, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`console-build: \`${command} ${args.join(' ')}\` in console/ failed (exit ${res.status ?? res.signal}); the server can still start, without the Console`);
    process.exit(res.status ?? 1);
  }
}

function main(): void {
  const force = process.argv.includes('--force');
  const lockHash = sha256(readFileSync(join(CONSOLE, 'package-lock.json')));
  if (readStamp(INSTALL_STAMP) !== lockHash) {
    console.log('console-build: installing the Console dependencies (console/package-lock.json)');
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
    writeFileSync(INSTALL_STAMP, `${lockHash}\n`);
  }
  const hash = sourceHash();
  if (!force && readStamp(BUILD_STAMP) === hash) return;
  console.log('console-build: building the Console into console/dist');
  run('npm', ['run', '--silent', 'build']);
  writeFileSync(BUILD_STAMP, `${hash}\n`);
}

main();
