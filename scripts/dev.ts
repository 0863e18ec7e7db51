/**
 * `npm run dev`: the server with --watch on PORT (default 8787) and the Console through Vite's dev
 * server on http://localhost:5173 with hot reload, proxying the API to the server. Ctrl-C stops both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '8787';

// Installs the Console's dependencies when they are missing or stale (and builds, when out of date).
const prepared = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/console-build.ts'], { cwd: ROOT, stdio: 'inherit' });
if (prepared.status !== 0) process.exit(prepared.status ?? 1);

const children: ChildProcess[] = [
  spawn(process.execPath, ['--watch', '--import', 'tsx', 'src/main.ts'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, PORT: port } }),
  spawn('npm', ['run', 'dev'], { cwd: `${ROOT}console`, stdio: 'inherit', env: { ...process.env, OMA_SERVER: `http://127.0.0.1:${port}` } }),
];
console.log(`dev: API on http://localhost:${port}, Console with hot reload on http://localhost:5173`);

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  process.exitCode = code;
}
for (const c of children) c.once('exit', (code) => stop(code ?? 0));
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
