/**
 * Preload for a server child process (`--import test/support/record-imports.mjs dist/main.js`; plain
 * JavaScript, so it loads in plain node as well as through tsx): records the URL of every module the
 * ESM loader resolves, through a resolve hook that runs on the loader thread and posts each URL back
 * here. On SIGUSR2 it writes one line to stderr, `oma-imports <JSON array of the npm package names
 * loaded so far>`, so a test can see what boot loads.
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const HOOK = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}`;

const packages = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(url);
  if (match) packages.add(match[1]);
});
port1.unref();
register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { port: port2 }, transferList: [port2] });

process.on('SIGUSR2', () => {
  process.stderr.write(`oma-imports ${JSON.stringify([...packages].sort())}\n`);
});
