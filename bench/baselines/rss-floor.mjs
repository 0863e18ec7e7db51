/**
 * The resident-memory floor under the server: a plain-node process that imports the packages the
 * server loads at boot (none of its own code; test/integration/boot-imports.test.ts keeps the lazy
 * ones, better-auth among them, out of boot) and idles; with `--bare` it imports nothing (Node's
 * own floor). Run as `node --expose-gc --import bench/preload/gc-on-signal.mjs rss-floor.mjs
 * [--bare]`; prints `ready` once everything is imported.
 */
const PACKAGES = ['better-sqlite3', 'pg', 'kysely', 'hono', '@hono/node-server', '@hono/zod-openapi', 'zod', 'pino', 'undici', 'ipaddr.js', 'croner', 'standardwebhooks', 'fflate', 'busboy'];
if (!process.argv.includes('--bare')) for (const name of PACKAGES) await import(name);
setInterval(() => undefined, 60_000);
process.stdout.write('ready\n');
