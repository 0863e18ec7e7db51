import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';

const MODEL = 'claude-sonnet-4-6';

describe.each(BACKENDS)('auth, /health and /openapi.json (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a missing or wrong key is 401 authentication_error on every /v1 route', async () => {
    for (const [method, path] of [['GET', '/v1/agents'], ['POST', '/v1/agents'], ['GET', '/v1/sessions'], ['GET', '/v1/environments'], ['GET', '/v1/sessions/sesn_x/events']]) {
      expectError(await raw(t.baseURL, method!, path!, { apiKey: null, body: method === 'POST' ? '{}' : undefined }), 401, 'authentication_error');
      expectError(await raw(t.baseURL, method!, path!, { apiKey: 'sk-oma-wrong', body: method === 'POST' ? '{}' : undefined }), 401, 'authentication_error');
    }
    const sdk = new Anthropic({ apiKey: 'sk-oma-wrong', baseURL: t.baseURL, maxRetries: 0 });
    await expect(sdk.beta.agents.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('x-api-key and Authorization: Bearer both authenticate', async () => {
    const viaHeader = await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: t.apiKey });
    expect(viaHeader.status).toBe(200);
    const viaBearer = await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null, headers: { authorization: `Bearer ${t.apiKey}` } });
    expect(viaBearer.status, viaBearer.text).toBe(200);
    const sdk = new Anthropic({ apiKey: null, authToken: t.apiKey, baseURL: t.baseURL, maxRetries: 0 });
    expect((await sdk.beta.agents.list()).data).toEqual(expect.any(Array));
  });

  it("another tenant's ids are 404", async () => {
    const agent = await t.client.beta.agents.create({ name: 'mine', model: MODEL });
    const env = await t.client.beta.environments.create({ name: 'mine' });
    const session = await t.client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const other = await t.clientForTenant('other');
    const attempts: (() => Promise<unknown>)[] = [
      () => other.beta.agents.retrieve(agent.id),
      () => other.beta.agents.update(agent.id, { name: 'theirs' } as any),
      () => other.beta.agents.archive(agent.id),
      () => other.beta.agents.versions.list(agent.id),
      () => other.beta.environments.retrieve(env.id),
      () => other.beta.environments.update(env.id, { name: 'theirs' }),
      () => other.beta.environments.archive(env.id),
      () => other.beta.environments.delete(env.id),
      () => other.beta.sessions.retrieve(session.id),
      () => other.beta.sessions.update(session.id, { title: 'theirs' }),
      () => other.beta.sessions.archive(session.id),
      () => other.beta.sessions.delete(session.id),
      () => other.beta.sessions.events.list(session.id),
      () => other.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] }),
      () => other.beta.sessions.create({ agent: agent.id, environment_id: env.id }),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    expect((await other.beta.agents.list()).data).toEqual([]);
    expect((await other.beta.sessions.list()).data).toEqual([]);
    // Untouched for the owner.
    expect((await t.client.beta.agents.retrieve(agent.id)).name).toBe('mine');
    expect((await t.client.beta.sessions.retrieve(session.id)).archived_at).toBeNull();
  });

  it('/health reports status, version and the database backend', async () => {
    const res = await raw(t.baseURL, 'GET', '/health', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('ok');
    expect(res.json.version).toMatch(/^\d+\.\d+\.\d+/);
    if (backend === 'sqlite') {
      expect(t.db.database.kind).toBe('sqlite');
      expect(res.json.backends.db).toBe(`sqlite ${(t.db.database as { path: string }).path}`);
    } else {
      const url = new URL((t.db.database as { url: string }).url);
      expect(res.json.backends.db).toBe(`postgres ${url.host}${url.pathname}`);
      expect(res.json.backends.db).not.toMatch(/@/);
    }
  });

  it('/openapi.json is an OpenAPI 3.1 document listing the routes', async () => {
    const res = await raw(t.baseURL, 'GET', '/openapi.json', { apiKey: null });
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.info.version).toEqual(expect.any(String));
    for (const path of ['/v1/agents', '/v1/agents/{agent_id}', '/v1/environments', '/v1/sessions', '/v1/sessions/{session_id}/events']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/v1/agents'].post).toBeDefined();
    expect(doc.paths['/v1/agents'].get).toBeDefined();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) expect(op.responses, `${method} ${path}`).toBeDefined();
    }
  });
});
