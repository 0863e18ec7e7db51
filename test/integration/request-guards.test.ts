/**
 * Issue #24, findings 1, 5 (at POST), 7 and 9, from their reproductions: a DNS-rebinding page
 * (`Host: attacker.example`) and a cross-site `text/plain` POST drove an AUTH_DISABLED server; a
 * 100k-level nested input_schema answered 500; a 5 MB event was accepted (and later broke streaming);
 * oma.db, auth.db and their -wal/-shm were created 0644.
 */
import http from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw, type RawResponse } from '../support/http.ts';

const MODEL = 'claude-sonnet-4-6';

/** A request with a chosen Host header (fetch does not let a caller set Host). */
function withHost(baseURL: string, options: { method: string; path: string; host: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> {
  const url = new URL(options.path, baseURL);
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method, headers: { ...options.headers, host: options.host } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve({ status: response.statusCode ?? 0, headers, text, json });
      });
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

async function agentCount(t: TestServer): Promise<number> {
  const res = await raw(t.baseURL, 'GET', '/v1/agents');
  return res.json.data.length;
}

describe('Host and Origin checks with AUTH_DISABLED=1', () => {
  let t: TestServer;
  let port: string;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { env: { AUTH_DISABLED: '1', ALLOWED_HOSTS: 'oma.internal,.corp.example', PUBLIC_URL: 'https://oma.example.com' } });
    port = new URL(t.baseURL).port;
  });
  afterAll(() => t.stop());

  it('refuses a DNS-rebinding Host with 421 before any route runs', async () => {
    const body = JSON.stringify({ name: 'rebound', model: MODEL });
    const res = await withHost(t.baseURL, { method: 'POST', path: '/v1/agents', host: `attacker.example:${port}`, headers: { 'content-type': 'application/json' }, body });
    expectError(res, 421, 'invalid_request_error', /attacker\.example.*ALLOWED_HOSTS/);
    expectError(await withHost(t.baseURL, { method: 'GET', path: '/health', host: 'attacker.example' }), 421, 'invalid_request_error');
    expect(await agentCount(t)).toBe(0);
  });

  it('answers loopback names, IP literals, PUBLIC_URL and ALLOWED_HOSTS', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'app.localhost', 'oma.internal', `OMA.INTERNAL.:${port}`, 'a.corp.example', 'corp.example', 'oma.example.com']) {
      const res = await withHost(t.baseURL, { method: 'GET', path: '/health', host });
      expect(res.status, host).toBe(200);
    }
    expect((await withHost(t.baseURL, { method: 'GET', path: '/health', host: 'evilcorp.example' })).status).toBe(421);
  });

  it('refuses a cross-site text/plain POST: foreign Origin 403; a browser body not declared JSON 415', async () => {
    const body = JSON.stringify({ name: 'csrf', model: MODEL });
    const crossSite = await raw(t.baseURL, 'POST', '/v1/agents', { body, headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://attacker.example' } });
    expectError(crossSite, 403, 'permission_error', /Origin http:\/\/attacker\.example/);
    // Even from this server's own origin, the preflight-free content types are refused.
    for (const type of ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expectError(await raw(t.baseURL, 'POST', '/v1/agents', { body, headers: { 'content-type': type, origin: t.baseURL } }), 415, 'invalid_request_error', /application\/json/);
    }
    expectError(await raw(t.baseURL, 'POST', '/v1/agents', { body, headers: { origin: 'null' } }), 403, 'permission_error');
    expectError(await raw(t.baseURL, 'DELETE', '/v1/agents/agent_x', { headers: { origin: `http://localhost:${port}` } }), 403, 'permission_error');
    expect(await agentCount(t)).toBe(0);
  });

  it("keeps curl -d, the SDK and same-origin browser requests working", async () => {
    // fetch() with a string body and no headers sends text/plain and no Origin.
    const plainFetch = await fetch(`${t.baseURL}/v1/agents`, { method: 'POST', body: JSON.stringify({ name: 'fetch', model: MODEL }) });
    expect(plainFetch.status).toBe(200);
    // The seed's demo: curl -d sends application/x-www-form-urlencoded and no Origin.
    const curl = await raw(t.baseURL, 'POST', '/v1/agents', { body: JSON.stringify({ name: 'curl', model: MODEL }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(curl.status, curl.text).toBe(200);
    const session = await raw(t.baseURL, 'POST', '/v1/sessions', { body: '{}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(session.status, session.text).toBe(200);
    const sdk = await t.client.beta.agents.create({ name: 'sdk', model: MODEL });
    expect(sdk.id).toMatch(/^agent_/);
    const sameOrigin = await raw(t.baseURL, 'POST', '/v1/agents', { body: JSON.stringify({ name: 'browser', model: MODEL }), headers: { origin: t.baseURL, 'content-type': 'application/json; charset=utf-8' } });
    expect(sameOrigin.status, sameOrigin.text).toBe(200);
    const viaProxy = await withHost(t.baseURL, { method: 'POST', path: '/v1/agents', host: 'oma.example.com', headers: { origin: 'https://oma.example.com', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'proxied', model: MODEL }) });
    expect(viaProxy.status, viaProxy.text).toBe(200);
    // Reads carry no risk a foreign Origin could use: a browser keeps the response from the page.
    expect((await raw(t.baseURL, 'GET', '/v1/agents', { headers: { origin: 'http://attacker.example' } })).status).toBe(200);
    expect(await agentCount(t)).toBe(5);
  });
});

describe.each(BACKENDS)('body limits (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.stop());

  it('refuses JSON nested deeper than the limit with 400, not a 500', async () => {
    const depth = 100_000;
    const schema = `${'{"type":"object","properties":{"a":'.repeat(depth)}{}${'}}'.repeat(depth)}`;
    const body = `{"name":"deep","model":"${MODEL}","tools":[{"type":"custom","name":"t","description":"d","input_schema":${schema}}]}`;
    expectError(await raw(t.baseURL, 'POST', '/v1/agents', { apiKey: t.apiKey, body }), 400, 'invalid_request_error', /deeper than 128 levels/);
    const shallow = `{"name":"ok","model":"${MODEL}","tools":[{"type":"custom","name":"t","description":"d","input_schema":{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"string","description":"[{\\"}"}}}}}}]}`;
    const res = await raw(t.baseURL, 'POST', '/v1/agents', { apiKey: t.apiKey, body: shallow });
    expect(res.status, res.text).toBe(200);
  });

  it('refuses a 5 MB event at POST with 400 naming the limit, and keeps one below it', async () => {
    const agent = await t.client.beta.agents.create({ name: 'big', model: MODEL });
    const environment = await t.client.beta.environments.create({ name: 'big-env' });
    const session = await t.client.beta.sessions.create({ agent: agent.id, environment_id: environment.id });
    const event = (size: number) => ({ type: 'user.message', content: [{ type: 'text', text: 'x'.repeat(size) }] });
    const big = await raw(t.baseURL, 'POST', `/v1/sessions/${session.id}/events`, { apiKey: t.apiKey, body: JSON.stringify({ events: [event(10), event(5_000_000)] }) });
    expectError(big, 400, 'invalid_request_error', /events\[1\].*maximum per event is 4194304 bytes \(MAX_EVENT_BYTES\)/);
    const listed = await raw(t.baseURL, 'GET', `/v1/sessions/${session.id}/events`, { apiKey: t.apiKey });
    expect(listed.json.data.filter((e: { type: string }) => e.type === 'user.message')).toHaveLength(0);
  });
});

describe('file modes', () => {
  it('creates oma.db, auth.db, their -wal/-shm and the secret files 0600', async () => {
    const t = await startTestServer('sqlite');
    try {
      await t.client.beta.agents.create({ name: 'mode', model: MODEL });
      // better-auth starts (and migrates auth.db) at the first Console auth request.
      expect((await raw(t.baseURL, 'GET', '/api/auth/ok', { apiKey: null })).status).toBe(200);
      const dir = t.db.dataDir;
      const files = ['oma.db', 'oma.db-wal', 'oma.db-shm', 'auth.db', 'auth.db-wal', 'auth.db-shm', '.better-auth-secret', '.platform-root-secret'];
      for (const file of files) {
        const mode = statSync(join(dir, file)).mode & 0o777;
        expect(mode.toString(8), file).toBe('600');
      }
    } finally {
      await t.stop();
    }
  });
});
