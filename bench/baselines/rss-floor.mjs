/**
 * The resident-memory floor under the server: a process that imports the packages the server loads
 * at boot (none of its own code) and idles. Run as `node --expose-gc [--import tsx] rss-floor.mjs`
 * (plain JavaScript, so the same file runs with and without tsx's loader); answers SIGUSR2 like
 * bench/preload/gc-on-signal.ts, and prints `ready` once everything is imported.
 */
const PACKAGES = ['better-sqlite3', 'pg', 'kysely', 'hono', '@hono/node-server', '@hono/zod-openapi', 'zod', 'pino', 'undici', 'better-auth', 'better-auth/db/migration', 'ipaddr.js', 'croner', 'standardwebhooks', 'fflate', 'busboy'];
for (const name of PACKAGES) await import(name);
let count = 0;
process.on('SIGUSR2', () => {
  globalThis.gc();
  const memory = process.memoryUsage();
  process.stderr.write(`oma-bench-gc ${++count} ${memory.heapUsed} ${memory.rss}\n`);
});
setInterval(() => undefined, 60_000);
process.stdout.write('ready\n');
