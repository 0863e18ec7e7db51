/**
 * Every route answers bad input with the error envelope and the right status, never 500:
 * malformed JSON, wrong types, missing fields, unknown ids, unknown routes, oversize bodies and
 * bad query values.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';

const MODEL = 'claude-sonnet-4-6';

interface Ids {
  agent: string;
  env: string;
  session: string;
}

/** Every body-taking route, with a body of wrong types and a body missing a required field. */
function bodyRoutes(ids: Ids) {
  return [
    { path: '/v1/agents', wrongTypes: { name: 42, model: MODEL }, missing: { name: 'x' }, field: /name/, missingField: /model/ },
    { path: `/v1/agents/${ids.agent}`, wrongTypes: { version: 'one' }, missing: null, field: /version/ },
    { path: '/v1/environments', wrongTypes: { name: ['e'] }, missing: { description: 'no name' }, field: /name/ },
    { path: `/v1/environments/${ids.env}`, wrongTypes: { metadata: 'm' }, missing: null, field: /metadata/ },
    { path: '/v1/sessions', wrongTypes: { agent: 7 }, missing: null, field: /agent/ },
    { path: `/v1/sessions/${ids.session}`, wrongTypes: { title: 5 }, missing: null, field: /title/ },
    { path: `/v1/sessions/${ids.session}/events`, wrongTypes: { events: 'hi' }, missing: {}, field: /events/ },
    { path: `/v1/sessions/${ids.session}/_test_emit`, wrongTypes: { text: 1 }, missing: {}, field: /text/ },
  ];
}

/** Every route that names a resource, with an id that does not exist. */
const UNKNOWN_ID_ROUTES: [string, string, string?][] = [
  ['GET', '/v1/agents/agent_nope'],
  ['POST', '/v1/agents/agent_nope', '{"name":"x"}'],
  ['POST', '/v1/agents/agent_nope/archive'],
  ['GET', '/v1/agents/agent_nope/versions'],
  ['GET', '/v1/environments/env_nope'],
  ['POST', '/v1/environments/env_nope', '{"name":"x"}'],
  ['POST', '/v1/environments/env_nope/archive'],
  ['DELETE', '/v1/environments/env_nope'],
  ['GET', '/v1/sessions/sesn_nope'],
  ['POST', '/v1/sessions/sesn_nope', '{"title":"x"}'],
  ['POST', '/v1/sessions/sesn_nope/archive'],
  ['DELETE', '/v1/sessions/sesn_nope'],
  ['GET', '/v1/sessions/sesn_nope/events'],
  ['POST', '/v1/sessions/sesn_nope/events', '{"events":[{"type":"user.message","content":[{"type":"text","text":"x"}]}]}'],
  ['GET', '/v1/sessions/sesn_nope/events/stream'],
  ['POST', '/v1/sessions/sesn_nope/_test_emit', '{"text":"x"}'],
];

const BAD_QUERIES = [
  '/v1/agents?limit=0',
  '/v1/agents?limit=abc',
  '/v1/agents?limit=100000',
  '/v1/agents?include_archived=maybe',
  '/v1/agents?created_at[gte]=yesterday',
  '/v1/agents?page=not-a-cursor',
  '/v1/environments?limit=-1',
  '/v1/environments?include_archived=yes',
  '/v1/sessions?order=sideways',
  '/v1/sessions?limit=0',
  '/v1/sessions?statuses[]=sleeping',
  '/v1/sessions?created_at[gte]=yesterday',
  '/v1/sessions?created_at[lt]=2026-13-45',
  '/v1/sessions?agent_version=2',
  '/v1/sessions?page=garbage',
];

describe.each(BACKENDS)('bad input (%s)', (backend) => {
  let t: TestServer;
  let ids: Ids;
  beforeAll(async () => {
    t = await startTestServer(backend);
    const agent = await t.client.beta.agents.create({ name: 'bad', model: MODEL });
    const env = await t.client.beta.environments.create({ name: 'bad' });
    const session = await t.client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    ids = { agent: agent.id, env: env.id, session: session.id };
  });
  afterAll(async () => {
    await t?.stop();
  });
  const req = (method: string, path: string, body?: string, headers?: Record<string, string>) => raw(t.baseURL, method, path, { apiKey: t.apiKey, body, headers });

  it('malformed JSON on every body route is 400', async () => {
    for (const route of bodyRoutes(ids)) {
      for (const body of ['{"name":', 'not json', '[1,2]', '"string"', 'null']) {
        expectError(await req('POST', route.path, body), 400, 'invalid_request_error');
      }
    }
  });

  it('wrong types and missing required fields are 400 naming the field', async () => {
    for (const route of bodyRoutes(ids)) {
      const wrong = await req('POST', route.path, JSON.stringify(route.wrongTypes));
      expectError(wrong, 400, 'invalid_request_error', route.field);
      if (route.missing) expectError(await req('POST', route.path, JSON.stringify(route.missing)), 400, 'invalid_request_error', ('missingField' in route ? route.missingField : undefined) ?? route.field);
    }
    expectError(await req('POST', '/v1/agents', JSON.stringify({ model: MODEL })), 400, 'invalid_request_error', /name/);
    expectError(await req('POST', '/v1/agents', JSON.stringify({ name: 'x', model: MODEL, tools: [{ type: 'hammer' }] })), 400, 'invalid_request_error', /tools/);
    expectError(await req('POST', '/v1/agents', JSON.stringify({ name: '', model: MODEL })), 400, 'invalid_request_error', /name/);
    expectError(await req('POST', '/v1/agents', JSON.stringify({ name: 'x', model: MODEL, metadata: { k: 1 } })), 400, 'invalid_request_error', /metadata/);
    expectError(await req('POST', '/v1/environments', JSON.stringify({ name: 'cfg', config: { type: 'moon' } })), 400, 'invalid_request_error', /config/);
    expectError(await req('POST', '/v1/sessions', JSON.stringify({ agent: { type: 'agent' } })), 400, 'invalid_request_error', /agent/);
    expectError(await req('POST', '/v1/sessions', JSON.stringify({ agent: ids.agent, vault_ids: 'vlt_1' })), 400, 'invalid_request_error', /vault_ids/);
    expectError(await req('POST', `/v1/sessions/${ids.session}/events`, JSON.stringify({ events: [] })), 400, 'invalid_request_error', /events/);
    expectError(await req('POST', `/v1/sessions/${ids.session}/events`, JSON.stringify({ events: [{ type: 'user.message' }] })), 400, 'invalid_request_error', /content/);
  });

  it('references to ids that do not exist are 404 (or 400 naming them) on create', async () => {
    expectError(await req('POST', '/v1/sessions', JSON.stringify({ agent: 'agent_nope', environment_id: ids.env })), 404, 'not_found_error', /agent_nope/);
    expectError(await req('POST', '/v1/sessions', JSON.stringify({ agent: ids.agent, environment_id: 'env_nope' })), 404, 'not_found_error', /env_nope/);
    expectError(await req('POST', '/v1/sessions', JSON.stringify({ agent: { type: 'agent', id: ids.agent, version: 99 }, environment_id: ids.env })), 404, 'not_found_error');
    expectError(await req('GET', `/v1/agents/${ids.agent}?version=99`), 404, 'not_found_error');
  });

  it('unknown ids on every route are 404 not_found_error', async () => {
    for (const [method, path, body] of UNKNOWN_ID_ROUTES) {
      const res = await req(method, path, body);
      expectError(res, 404, 'not_found_error');
    }
  });

  // A GET of an unknown path outside the API is the Console's SPA fallback when the Console is built
  // (console-static.test.ts); every other unknown route is a JSON 404 whether or not it is.
  it('unknown routes are 404 JSON, not HTML', async () => {
    for (const [method, path] of [['GET', '/v1/nothing'], ['POST', '/v1/agents/x/y/z'], ['POST', '/nowhere'], ['GET', '/api/nowhere.json'], ['PUT', '/v1/agents'], ['PATCH', `/v1/sessions/${ids.session}`]] as const) {
      const res = await req(method, path, method === 'GET' ? undefined : '{}');
      expect(res.text).not.toMatch(/<html/i);
      expect(res.status, `${method} ${path}`).not.toBe(500);
      expect([404, 405]).toContain(res.status);
      expectError(res, res.status, 'not_found_error');
    }
  });

  it('bad query values are 400 naming the parameter', async () => {
    for (const path of BAD_QUERIES) {
      const res = await req('GET', path);
      expectError(res, 400, 'invalid_request_error');
      const name = /\?([a-z_]+)/.exec(path)![1]!;
      expect(res.json.error.message, path).toMatch(new RegExp(name));
    }
    for (const path of [`/v1/agents/${ids.agent}?version=0`, `/v1/agents/${ids.agent}?version=x`, `/v1/agents/${ids.agent}/versions?limit=0`, `/v1/sessions/${ids.session}/events?order=sideways`, `/v1/sessions/${ids.session}/events?limit=0`, `/v1/sessions/${ids.session}/events?created_at[gte]=yesterday`, `/v1/sessions/${ids.session}/events?page=zzz`, `/v1/sessions/${ids.session}/events/stream?event_deltas[]=user.message`]) {
      expectError(await req('GET', path), 400, 'invalid_request_error');
    }
  });

  it('a cursor reused with another order is 400', async () => {
    for (let i = 0; i < 2; i++) await t.client.beta.sessions.create({ agent: ids.agent, environment_id: ids.env });
    const first = await req('GET', '/v1/sessions?limit=1&order=asc');
    expect(first.json.next_page).toEqual(expect.any(String));
    expectError(await req('GET', `/v1/sessions?limit=1&order=desc&page=${encodeURIComponent(first.json.next_page)}`), 400, 'invalid_request_error');
  });

  it('oversize bodies are 413 request_too_large on every body route', async () => {
    const small = await startTestServer(backend, { env: { MAX_BODY_BYTES: '1000' } });
    try {
      const agent = await small.client.beta.agents.create({ name: 'small', model: MODEL });
      const env = await small.client.beta.environments.create({ name: 'small' });
      const session = await small.client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
      const big = JSON.stringify({ name: 'x'.repeat(2000), model: MODEL, title: 'x'.repeat(2000), text: 'x'.repeat(2000) });
      for (const route of bodyRoutes({ agent: agent.id, env: env.id, session: session.id })) {
        const res = await raw(small.baseURL, 'POST', route.path, { apiKey: small.apiKey, body: big });
        expectError(res, 413, 'request_too_large');
      }
      // Without content-length (chunked), the limit still holds.
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      });
      const res = await fetch(`${small.baseURL}/v1/agents`, { method: 'POST', headers: { 'x-api-key': small.apiKey, 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
      const text = await res.text();
      expect(res.status, text).toBe(413);
      expect(JSON.parse(text).error.type).toBe('request_too_large');
      // Just under the limit still works.
      const ok = await raw(small.baseURL, 'POST', '/v1/agents', { apiKey: small.apiKey, body: JSON.stringify({ name: 'x'.repeat(200), model: MODEL }) });
      expect(ok.status, ok.text).toBe(200);
      // A chunked body under the limit is counted and then read whole by the route.
      const chunks = [JSON.stringify({ name: 'chunked', model: MODEL }).slice(0, 10), JSON.stringify({ name: 'chunked', model: MODEL }).slice(10)];
      const chunked = new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      });
      const accepted = await fetch(`${small.baseURL}/v1/agents`, { method: 'POST', headers: { 'x-api-key': small.apiKey, 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit);
      const acceptedText = await accepted.text();
      expect(accepted.status, acceptedText).toBe(200);
      expect(JSON.parse(acceptedText).name).toBe('chunked');
    } finally {
      await small.stop();
    }
  });
});
