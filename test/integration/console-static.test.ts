/**
 * The Console's static files on the API's port: cache headers, the SPA fallback for Console
 * routes, API precedence (unknown /v1 paths stay JSON 404s), conditional requests, and no file
 * outside the Console directory. A small fake build in a temp directory stands in for console/dist.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("console");';

function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oma-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), SCRIPT);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, '..', 'outside-console.txt'), 'secret-outside');
  return dir;
}

/** A GET with the path sent exactly as written (fetch would normalise dot segments away). */
function rawPath(baseURL: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(BACKENDS)('Console static files (%s)', (backend) => {
  let t: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = fakeBuild();
    t = await startTestServer(backend, { env: { CONSOLE_DIR: dir } });
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', 'outside-console.txt'), { force: true });
  });

  it('serves index.html at / with no-cache, a same-origin CSP and nosniff', async () => {
    const res = await raw(t.baseURL, 'GET', '/', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.text).toBe(INDEX);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers Console routes (deep links) with index.html: the SPA fallback', async () => {
    for (const path of ['/agents', '/sessions/sesn_0123', '/agents/agent_1/versions', '/sign-in?next=%2Fsessions', '/api-keys']) {
      const res = await raw(t.baseURL, 'GET', path, { apiKey: null });
      expect(res.status, path).toBe(200);
      expect(res.text, path).toBe(INDEX);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable for a year with their content type', async () => {
    const res = await raw(t.baseURL, 'GET', '/assets/index-AbC123.js', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.text).toBe(SCRIPT);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await raw(t.baseURL, 'GET', '/favicon.svg', { apiKey: null });
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('a missing file is a JSON 404, never the HTML page (a stale asset must not load as HTML)', async () => {
    for (const path of ['/assets/index-Old999.js', '/favicon.ico', '/robots.txt']) {
      expectError(await raw(t.baseURL, 'GET', path, { apiKey: null }), 404, 'not_found_error');
    }
  });

  it('revalidates with the ETag: an unchanged file is 304 with no body', async () => {
    const first = await raw(t.baseURL, 'GET', '/', { apiKey: null });
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await raw(t.baseURL, 'GET', '/', { apiKey: null, headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const changed = await raw(t.baseURL, 'GET', '/', { apiKey: null, headers: { 'if-none-match': 'W/"other"' } });
    expect(changed.status).toBe(200);
  });

  it('API routes keep precedence and unknown /v1 paths stay JSON 404s', async () => {
    expect((await raw(t.baseURL, 'GET', '/health', { apiKey: null })).json).toMatchObject({ status: 'ok' });
    expect((await raw(t.baseURL, 'GET', '/openapi.json', { apiKey: null })).json).toMatchObject({ openapi: '3.1.0' });
    expect((await raw(t.baseURL, 'GET', '/auth-info', { apiKey: null })).json).toMatchObject({ sign_up: true });
    expect((await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: t.apiKey })).json).toMatchObject({ data: [] });
    expectError(await raw(t.baseURL, 'GET', '/v1/no-such-thing', { apiKey: t.apiKey }), 404, 'not_found_error', /no route for GET \/v1\/no-such-thing/);
    expectError(await raw(t.baseURL, 'GET', '/v1/no-such-thing', { apiKey: null }), 401, 'authentication_error');
    expectError(await raw(t.baseURL, 'GET', '/v1', { apiKey: t.apiKey }), 404, 'not_found_error');
    const authUnknown = await raw(t.baseURL, 'GET', '/api/auth/no-such-endpoint', { apiKey: null });
    expect(authUnknown.text).not.toContain('<div id="root">');
    expect(authUnknown.status).toBe(404);
    expectError(await raw(t.baseURL, 'GET', '/api/other', { apiKey: null }), 404, 'not_found_error');
  });

  it('only GET (and HEAD) reach the Console: other methods on a Console path are JSON 404s', async () => {
    const head = await fetch(`${t.baseURL}/sessions`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/html/);
    expectError(await raw(t.baseURL, 'POST', '/sessions', { apiKey: null, body: '{}' }), 404, 'not_found_error');
  });

  it('never serves a file outside the Console directory', async () => {
    for (const path of ['/..%2foutside-console.txt', '/assets/..%2f..%2foutside-console.txt', '/%2e%2e/outside-console.txt', '/assets/%00x.js', '/%E0%A4%A']) {
      const res = await rawPath(t.baseURL, path);
      expect(res.body, path).not.toContain('secret-outside');
      expect([200, 400, 404], path).toContain(res.status);
    }
  });
});

describe.each(BACKENDS)('Console not built (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { env: { CONSOLE_DIR: join(tmpdir(), 'oma-console-never-built') } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('says how to build it, and the API works as before', async () => {
    const res = await raw(t.baseURL, 'GET', '/', { apiKey: null });
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/npm run build:console/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect((await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: t.apiKey })).status).toBe(200);
  });
});
