/**
 * The Console's built files (console/dist) on the same port as the API, mounted after every API
 * route so those keep precedence. Any other GET without a file extension is a Console route and
 * gets index.html (the SPA fallback); /v1/*, /api/*, /health, /openapi.json and /auth-info never do,
 * so an unknown API path stays a JSON 404. Vite's hashed files under /assets/ are cached for a
 * year; everything else is revalidated (ETag) on every load, so a new build shows at once.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Context } from 'hono';
import type { App } from '../context.ts';

export interface ConsoleRouteDeps {
  /** The built Console: index.html and assets/. */
  dir: string;
}

/** Paths that belong to the API: never answered with a Console file. */
const API_PATHS = /^\/(v1|api)(\/|$)|^\/(health|openapi\.json|auth-info)\/?$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * The page may talk to this server only: no script, style, image or connection elsewhere, and it
 * cannot be framed (clickjacking of the allow/deny buttons).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><main><h1>The Console has not been built</h1><p>The API is running. To get the web UI, run <code>npm run build:console</code>
(<code>npm start</code> does it for you) or set CONSOLE_DIR to a built Console, then reload.</p></main></body></html>`;

interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** The regular file under `dir` a URL path names, or undefined (missing, a directory, or outside `dir`). */
async function findFile(dir: string, urlPath: string): Promise<FoundFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined; // a malformed escape names no file
  }
  if (decoded.includes('\0')) return undefined;
  // Security boundary: a normalised path that escapes the Console directory is never read.
  const path = normalize(join(dir, decoded));
  if (!path.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return undefined;
  try {
    const s = await stat(path);
    return s.isFile() ? { path, size: s.size, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined; // absent: the caller falls back or 404s
  }
}

async function sendFile(c: Context, file: FoundFile, cacheControl: string): Promise<Response> {
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  const type = CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
  const headers: Record<string, string> = { 'content-type': type, 'cache-control': cacheControl, etag, 'x-content-type-options': 'nosniff' };
  if (type.startsWith('text/html')) {
    headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    headers['referrer-policy'] = 'same-origin';
  }
  if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(await readFile(file.path), { status: 200, headers });
}

export function mountConsoleRoutes(app: App, deps: ConsoleRouteDeps): void {
  const dir = normalize(deps.dir);
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (API_PATHS.test(path)) return next();
    const file = path.endsWith('/') ? undefined : await findFile(dir, path);
    if (file) return sendFile(c, file, path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
    // A missing file (a stale hashed asset, /favicon.ico) is a 404, not the HTML page.
    if (extname(path) !== '') return next();
    const index = await findFile(dir, '/index.html');
    if (!index) return c.html(NOT_BUILT_PAGE, 503, { 'cache-control': REVALIDATE });
    return sendFile(c, index, REVALIDATE);
  });
}
