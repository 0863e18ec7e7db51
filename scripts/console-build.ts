/**
 * Installs and builds the Console (console/, its own package and lockfile) when it is out of date,
 * so `npm ci && npm start` on a fresh clone serves it. Run by `prestart` and `pretest`; skipped
 * when nothing changed: the install when console/package-lock.json matches what was installed, the
 * build when a hash of every source file matches the one written next to the last build.
 * `--force` rebuilds anyway. Output goes to console/dist (git-ignored), served by the server.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStamp, sha256, sourceHash } from './build-stamp.ts';

const CONSOLE = fileURLToPath(new URL('../console', import.meta.url));
const INSTALL_STAMP = join(CONSOLE, 'node_modules', '.oma-installed-lock');
const BUILD_STAMP = join(CONSOLE, 'dist', '.oma-build-hash');
const SOURCES = ['src', 'public', 'index.html', 'package.json', 'package-lock.json', 'vite.config.ts', 'tsconfig.json'];

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
  const hash = sourceHash(CONSOLE, SOURCES);
  if (!force && readStamp(BUILD_STAMP) === hash) return;
  console.log('console-build: building the Console into console/dist');
  run('npm', ['run', '--silent', 'build']);
  writeFileSync(BUILD_STAMP, `${hash}\n`);
}

main();
