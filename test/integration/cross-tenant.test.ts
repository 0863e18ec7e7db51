/**
 * The cross-tenant matrix. Every /v1 route in the server's own OpenAPI document is called by
 * tenant B with tenant A's ids. Each call must answer exactly as an id that exists nowhere does:
 * 404 not_found_error, and the same message once the id is masked. Nothing may be streamed and
 * nothing of A's may change. The bodies sent are ones A itself can send successfully (the positive
 * control at the end checks this), so each 404 comes from the tenancy check and not from validation.
 */
import { randomBytes } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createInvitation } from '../../src/auth/invitations.ts';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, text, type FakeModel } from '../support/fake-model/index.ts';
import { waitForIdle } from '../support/session-helpers.ts';

const MODEL = 'claude-sonnet-4-6';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: any;
  /** True when the server opened an event stream; the stream was cancelled at once. */
  streamed: boolean;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One request with x-api-key. An event stream is cancelled as soon as its headers arrive, so a
 * route that wrongly opens one fails the test instead of hanging it.
 */
async function send(baseURL: string, apiKey: string, call: Call): Promise<Reply> {
  const headers: Record<string, string> = { 'x-api-key': apiKey, ...(call.headers ?? {}) };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseURL}${call.path}`, { method: call.method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body) });
  const contentType = res.headers.get('content-type') ?? '';
  if (contentType.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, contentType, text: '', json: undefined, streamed: true };
  }
  const body = await res.text();
  let json: any;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType, text: body, json, streamed: false };
}

/** A route of the OpenAPI document, with the names of its path parameters in order. */
interface RouteOp {
  method: string;
  path: string;
  params: string[];
}

const routeKey = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

async function listV1Routes(baseURL: string): Promise<RouteOp[]> {
  const res = await fetch(`${baseURL}/openapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  const routes: RouteOp[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const method of Object.keys(ops)) {
      if (!(METHODS as readonly string[]).includes(method)) continue;
      routes.push({ method, path, params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!) });
    }
  }
  return routes;
}

/**
 * Reads go first and deletes last, so that if one call leaks, the calls after it still find the
 * resource where it was and report their own result.
 */
function phaseOf(r: RouteOp): number {
  if (r.method === 'get') return 0;
  // Nested resources (a store's memories) are deleted before the resource holding them.
  if (r.method === 'delete') return r.params.length > 1 ? 3 : 4;
  return r.path.endsWith('/archive') ? 2 : 1;
}

/** Routes that must be in the document; guards against a matrix that passes because it tried nothing. */
const KNOWN_ROUTES = [
  'GET /v1/agents/{agent_id}', 'POST /v1/agents/{agent_id}', 'POST /v1/agents/{agent_id}/archive', 'GET /v1/agents/{agent_id}/versions',
  'GET /v1/environments/{environment_id}', 'POST /v1/environments/{environment_id}', 'POST /v1/environments/{environment_id}/archive', 'DELETE /v1/environments/{environment_id}',
  'GET /v1/sessions/{session_id}', 'POST /v1/sessions/{session_id}', 'POST /v1/sessions/{session_id}/archive', 'DELETE /v1/sessions/{session_id}',
  'GET /v1/sessions/{session_id}/events', 'POST /v1/sessions/{session_id}/events', 'GET /v1/sessions/{session_id}/events/stream', 'POST /v1/sessions/{session_id}/_test_emit',
  'GET /v1/agents', 'GET /v1/environments', 'GET /v1/sessions',
  'DELETE /v1/tenant/invitations/{invitation_id}', 'POST /v1/tenant/invitations/{invitation_id}/accept', 'GET /v1/tenant/invitations',
  'GET /v1/model_cards/{model_card_id}', 'POST /v1/model_cards/{model_card_id}', 'DELETE /v1/model_cards/{model_card_id}', 'GET /v1/model_cards',
  'GET /v1/vaults/{vault_id}', 'POST /v1/vaults/{vault_id}', 'POST /v1/vaults/{vault_id}/archive', 'DELETE /v1/vaults/{vault_id}', 'GET /v1/vaults',
  'POST /v1/vaults/{vault_id}/credentials', 'GET /v1/vaults/{vault_id}/credentials', 'GET /v1/vaults/{vault_id}/credentials/{credential_id}',
  'POST /v1/vaults/{vault_id}/credentials/{credential_id}', 'POST /v1/vaults/{vault_id}/credentials/{credential_id}/archive',
  'DELETE /v1/vaults/{vault_id}/credentials/{credential_id}', 'POST /v1/vaults/{vault_id}/credentials/{credential_id}/mcp_oauth_validate',
  'GET /v1/memory_stores/{memory_store_id}', 'POST /v1/memory_stores/{memory_store_id}', 'POST /v1/memory_stores/{memory_store_id}/archive', 'DELETE /v1/memory_stores/{memory_store_id}',
  'GET /v1/memory_stores/{memory_store_id}/memories', 'POST /v1/memory_stores/{memory_store_id}/memories',
  'GET /v1/memory_stores/{memory_store_id}/memories/{memory_id}', 'POST /v1/memory_stores/{memory_store_id}/memories/{memory_id}', 'DELETE /v1/memory_stores/{memory_store_id}/memories/{memory_id}',
  'GET /v1/memory_stores/{memory_store_id}/memory_versions', 'GET /v1/memory_stores/{memory_store_id}/memory_versions/{memory_version_id}',
  'POST /v1/memory_stores/{memory_store_id}/memory_versions/{memory_version_id}/redact', 'GET /v1/memory_stores',
  'GET /v1/sessions/{session_id}/resources', 'GET /v1/sessions/{session_id}/resources/{resource_id}', 'POST /v1/sessions/{session_id}/resources',
  'GET /v1/files/{file_id}', 'GET /v1/files/{file_id}/content', 'DELETE /v1/files/{file_id}', 'GET /v1/files',
  'GET /v1/skills/{skill_id}', 'DELETE /v1/skills/{skill_id}', 'POST /v1/skills/{skill_id}/versions', 'GET /v1/skills/{skill_id}/versions',
  'GET /v1/skills/{skill_id}/versions/{version}', 'DELETE /v1/skills/{skill_id}/versions/{version}', 'GET /v1/skills/{skill_id}/versions/{version}/content', 'GET /v1/skills',
  'GET /v1/webhooks/{webhook_id}', 'POST /v1/webhooks/{webhook_id}', 'DELETE /v1/webhooks/{webhook_id}', 'POST /v1/webhooks/{webhook_id}/rotate_secret',
  'GET /v1/webhooks/{webhook_id}/deliveries', 'POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', 'GET /v1/webhooks',
  'GET /v1/deployments/{deployment_id}', 'POST /v1/deployments/{deployment_id}', 'POST /v1/deployments/{deployment_id}/archive',
  'POST /v1/deployments/{deployment_id}/pause', 'POST /v1/deployments/{deployment_id}/unpause', 'POST /v1/deployments/{deployment_id}/run',
  'GET /v1/deployments', 'GET /v1/deployment_runs/{deployment_run_id}', 'GET /v1/deployment_runs',
];

/**
 * A scheduled deployment of the caller's tenant with one (failed) run. Its agent is archived after
 * the create, so runs record agent_archived_error without a session: no model call in the suite.
 */
async function createDeployment(call: (c: Call) => Promise<any>, label: string): Promise<{ deployment_id: string; deployment_run_id: string }> {
  const agent = await call({ method: 'POST', path: '/v1/agents', body: { name: `${label}-deployed-agent`, model: MODEL } });
  const env = await call({ method: 'POST', path: '/v1/environments', body: { name: `${label}-deployment-env` } });
  const deployment = await call({ method: 'POST', path: '/v1/deployments', body: {
    name: `deployment of ${label}`, agent: agent.id, environment_id: env.id,
    initial_events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }], schedule: { type: 'cron', expression: '0 9 29 2 *', timezone: 'UTC' },
  } });
  await call({ method: 'POST', path: `/v1/agents/${agent.id}/archive` });
  const run = await call({ method: 'POST', path: `/v1/deployments/${deployment.id}/run` });
  return { deployment_id: deployment.id, deployment_run_id: run.id };
}

/**
 * A webhook endpoint of the key's tenant with one delivery (an event enqueued through the outbox,
 * as a deployment run would). Its URL is loopback (allowed for this suite) and nothing listens there.
 */
async function createWebhook(t: TestServer, apiKey: string, tenantId: string, label: string): Promise<{ webhook_id: string; delivery_id: string }> {
  const res = await fetch(`${t.baseURL}/v1/webhooks`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', description: `webhook of ${label}` }) });
  const webhook = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(webhook)).toBe(200);
  const eventId = await t.server.services.store.transaction((tx) => tx.webhooks.enqueue(tenantId, { type: 'deployment_run.started', id: `drun_of_${label}` }, { now: Date.now() }));
  const delivery = await t.server.services.store.db.selectFrom('webhook_deliveries').select('id').where('event_id', '=', eventId!).where('webhook_id', '=', webhook.id).executeTakeFirstOrThrow();
  return { webhook_id: webhook.id, delivery_id: delivery.id };
}

/** Creates a skill with two versions as the key's tenant; returns its id and the first (not latest) version. */
async function createSkill(baseURL: string, apiKey: string, name: string): Promise<{ skill_id: string; version: string }> {
  const post = async (path: string) => {
    const form = new FormData();
    form.append('files[]', new Blob([`---\nname: ${name}\ndescription: skill of ${name}\n---\n`]), `${name}/SKILL.md`);
    const res = await fetch(`${baseURL}${path}`, { method: 'POST', headers: { 'x-api-key': apiKey }, body: form });
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string; latest_version_id: string };
  };
  const skill = await post('/v1/skills');
  await post(`/v1/skills/${skill.id}/versions`);
  return { skill_id: skill.id, version: skill.latest_version_id };
}

/** Uploads a small file as the key's tenant (multipart, so not through `send`). */
async function uploadFile(baseURL: string, apiKey: string, content: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/plain' }), 'owned.txt');
  const res = await fetch(`${baseURL}/v1/files`, { method: 'POST', headers: { 'x-api-key': apiKey }, body: form });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

/**
 * Valid bodies (see src/api/schemas) that the owner could send with success. A POST route missing
 * here gets `{}`; if that fails validation, the route answers 400 and the matrix says so.
 */
const BODIES: Record<string, unknown> = {
  'POST /v1/agents/{agent_id}': { version: 2, name: 'renamed by another tenant' },
  'POST /v1/environments/{environment_id}': { name: 'renamed-by-another-tenant', metadata: { by: 'other' } },
  'POST /v1/sessions/{session_id}': { title: 'renamed by another tenant', metadata: { by: 'other' } },
  'POST /v1/sessions/{session_id}/events': { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hello from another tenant' }] }] },
  'POST /v1/sessions/{session_id}/_test_emit': { text: 'emitted by another tenant' },
  'POST /v1/model_cards/{model_card_id}': { name: 'renamed by another tenant', api_key: 'sk-planted-by-another-tenant' },
  'POST /v1/vaults/{vault_id}': { display_name: 'renamed by another tenant', metadata: { by: 'other' } },
  'POST /v1/vaults/{vault_id}/credentials': { auth: { type: 'static_bearer', token: 'token-of-another-tenant', mcp_server_url: 'https://other.example.com' } },
  'POST /v1/vaults/{vault_id}/credentials/{credential_id}': { display_name: 'renamed by another tenant', auth: { type: 'static_bearer', token: 'token-of-another-tenant' } },
  'POST /v1/memory_stores/{memory_store_id}': { name: 'renamed by another tenant', metadata: { by: 'other' } },
  'POST /v1/memory_stores/{memory_store_id}/memories': { path: '/written-by-the-matrix.md', content: 'from another tenant' },
  'POST /v1/memory_stores/{memory_store_id}/memories/{memory_id}': { content: 'overwritten by another tenant' },
  'PATCH /v1/memory_stores/{memory_store_id}/memories/{memory_id}': { path: '/renamed-by-another-tenant.md' },
  // The file is set to tenant A's own file once it exists (beforeAll).
  'POST /v1/sessions/{session_id}/resources': { type: 'file', file_id: 'file_set_in_before_all' },
  'POST /v1/sessions/{session_id}/resources/{resource_id}': { authorization_token: 'token-of-another-tenant' },
  'POST /v1/webhooks/{webhook_id}': { description: 'renamed by another tenant', event_types: ['session.status_idled'] },
  'POST /v1/deployments/{deployment_id}': { name: 'renamed by another tenant', metadata: { by: 'other' } },
};

/**
 * Routes whose owner call is refused by design (400 with the reason): memory store resources are
 * attached at session create and stay (the control's resource is one); a skill version is
 * a multipart upload, which the matrix's JSON body is not (its owner upload is made in createSkill).
 */
const OWNER_REFUSED = new Set([
  'POST /v1/sessions/{session_id}/resources/{resource_id}', 'DELETE /v1/sessions/{session_id}/resources/{resource_id}',
  'POST /v1/skills/{skill_id}/versions',
]);

/** Extra spellings of a route worth trying besides the plain call (query strings, resume headers). */
const VARIANTS: Record<string, { query?: string; headers?: Record<string, string> }[]> = {
  'GET /v1/agents/{agent_id}': [{ query: 'version=1' }, { query: 'version=2' }],
  'GET /v1/agents/{agent_id}/versions': [{ query: 'limit=1' }],
  'GET /v1/sessions/{session_id}/events': [{ query: 'order=desc&include_extensions=true&limit=1000' }],
  'GET /v1/sessions/{session_id}/events/stream': [{ headers: { 'last-event-id': '0' } }, { query: 'last_event_id=0' }, { query: 'event_deltas[]=agent.message' }],
  'GET /v1/memory_stores/{memory_store_id}/memories': [{ query: 'view=full&path_prefix=/notes/&depth=1' }],
  'GET /v1/memory_stores/{memory_store_id}/memory_versions': [{ query: 'view=full' }],
};

function casesOf(r: RouteOp): { query?: string; headers?: Record<string, string> }[] {
  return [{}, ...(VARIANTS[routeKey(r)] ?? [])];
}

function callFor(r: RouteOp, ids: Record<string, string>, variant: { query?: string; headers?: Record<string, string> }): Call {
  const path = r.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(ids[name]!));
  const key = routeKey(r);
  const body = r.method === 'post' || r.method === 'put' || r.method === 'patch' ? (key in BODIES ? BODIES[key] : {}) : undefined;
  return { method: r.method.toUpperCase(), path: variant.query ? `${path}?${variant.query}` : path, body, headers: variant.headers };
}

/** The same id shape (prefix, length) as `id`, with a fresh random tail: an id that exists nowhere. */
function lookalikeId(id: string): string {
  const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const keep = id.indexOf('_') + 3;
  return id.slice(0, keep) + Array.from(randomBytes(id.length - keep), (b) => B58[b % 58]).join('');
}

/** The error with each id replaced by a placeholder, so two 404s for different ids can be compared. */
function maskedError(reply: Reply, ids: Record<string, string>): string {
  let out = JSON.stringify(reply.json?.error ?? null);
  for (const [name, id] of Object.entries(ids)) out = out.split(id).join(`<${name}>`);
  return out;
}

/** What is wrong with `foreign` (tenant A's ids) given `ghost` (ids that exist nowhere); undefined if nothing. */
function compareToGhost(foreign: Reply, ghost: Reply, ids: { foreign: Record<string, string>; ghost: Record<string, string> }): string | undefined {
  if (foreign.streamed) return `opened an event stream (${foreign.status}) for another tenant's session`;
  if (ghost.status !== 404 || ghost.json?.error?.type !== 'not_found_error') return `an unknown id answers ${ghost.status} ${ghost.text.slice(0, 200)}, not 404 not_found_error`;
  if (foreign.status !== 404 || foreign.json?.type !== 'error' || foreign.json?.error?.type !== 'not_found_error' || !/^req_/.test(String(foreign.json?.request_id))) {
    return `answers ${foreign.status} ${foreign.text.slice(0, 200)}`;
  }
  const [a, b] = [maskedError(foreign, ids.foreign), maskedError(ghost, ids.ghost)];
  if (a !== b) return `answers differently from an unknown id: ${a} vs ${b}`;
  return undefined;
}

interface Tenant {
  id: string;
  key: string;
  keyId: string;
  keyPrefix: string;
}

async function createTenant(t: TestServer, label: string): Promise<Tenant> {
  const id = `tenant_${label}_${randomBytes(4).toString('hex')}`;
  await t.server.services.store.tenants.ensure(id, label, Date.now());
  const key = await createApiKey(t.server.services.store, { tenantId: id, name: `${label} key` });
  return { id, key: key.key, keyId: key.id, keyPrefix: key.prefix };
}

/** A tenant's resources: an agent with two versions, an environment, a session with three events. */
interface Resources {
  model_card_id: string;
  agent_id: string;
  environment_id: string;
  session_id: string;
  vault_id: string;
  credential_id: string;
  memory_store_id: string;
  memory_id: string;
  /** A version that no longer holds the memory's content (so it can be redacted). */
  memory_version_id: string;
  /** The session's memory store resource. */
  resource_id: string;
  event_ids: string[];
  names: string[];
}

async function createResources(call: (c: Call) => Promise<any>, label: string, options: { sessionUsesEnvironment: boolean }): Promise<Resources> {
  const tag = `${label}-${randomBytes(4).toString('hex')}`;
  const card = await call({ method: 'POST', path: '/v1/model_cards', body: { name: `${tag}-card`, provider: 'anthropic', base_url: 'https://api.anthropic.com', api_key: `sk-${tag}-key`, models: [`${tag}-model`] } });
  const agent = await call({ method: 'POST', path: '/v1/agents', body: { name: `${tag}-agent`, model: MODEL, system: `system of ${tag}` } });
  const v2 = await call({ method: 'POST', path: `/v1/agents/${agent.id}`, body: { version: 1, name: `${tag}-agent-v2` } });
  expect(v2.version).toBe(2);
  const env = await call({ method: 'POST', path: '/v1/environments', body: { name: `${tag}-env` } });
  const store = await call({ method: 'POST', path: '/v1/memory_stores', body: { name: `${tag}-store`, description: `memories of ${tag}` } });
  const session = await call({
    method: 'POST', path: '/v1/sessions',
    body: {
      agent: agent.id, title: `${tag}-session`, ...(options.sessionUsesEnvironment ? { environment_id: env.id } : {}),
      resources: [{ type: 'memory_store', memory_store_id: store.id, instructions: `instructions of ${tag}` }],
    },
  });
  const event_ids: string[] = [];
  for (const n of [1, 2, 3]) event_ids.push((await call({ method: 'POST', path: `/v1/sessions/${session.id}/_test_emit`, body: { text: `${tag} event ${n}` } })).id);
  const vault = await call({ method: 'POST', path: '/v1/vaults', body: { display_name: `${tag}-vault` } });
  const credential = await call({
    method: 'POST', path: `/v1/vaults/${vault.id}/credentials`,
    body: { display_name: `${tag}-credential`, auth: { type: 'mcp_oauth', access_token: `${tag}-access-token`, mcp_server_url: `https://${tag}.example.com/mcp` } },
  });
  const memory = await call({ method: 'POST', path: `/v1/memory_stores/${store.id}/memories`, body: { path: '/notes/first.md', content: `first note of ${tag}` } });
  await call({ method: 'POST', path: `/v1/memory_stores/${store.id}/memories/${memory.id}`, body: { content: `second note of ${tag}` } });
  return {
    model_card_id: card.id, agent_id: agent.id, environment_id: env.id, session_id: session.id, vault_id: vault.id, credential_id: credential.id, event_ids,
    memory_store_id: store.id, memory_id: memory.id, memory_version_id: memory.memory_version_id, resource_id: session.resources[0].id,
    names: [`${tag}-agent`, `${tag}-env`, `${tag}-session`, `${tag}-card`, `${tag}-model`, `${tag}-vault`, `${tag}-credential`, `${tag}-access-token`, `${tag}-store`, `first note of ${tag}`, `second note of ${tag}`],
  };
}

/** Without `duration_seconds`, which grows with the clock. */
function stable(reply: Reply): unknown {
  return JSON.parse(reply.text, (k, v: unknown) => (k === 'duration_seconds' ? undefined : v));
}

describe.each(BACKENDS)('cross-tenant matrix (%s)', (backend) => {
  let t: TestServer;
  let fake: FakeModel;
  let routes: RouteOp[];
  let a: Tenant;
  let b: Tenant;
  let resA: Resources;
  let archivedA: { agent_id: string; environment_id: string; session_id: string };
  /** Path parameter name → tenant A's resource id. A route with any other parameter fails the suite. */
  let idsA: Record<string, string>;
  let secretsA: string[];
  let before: Map<string, unknown>;
  let checks = 0;

  const asA = async (c: Call) => {
    const r = await send(t.baseURL, a.key, c);
    expect(r.status, `${c.method} ${c.path} as the owner: ${r.text.slice(0, 300)}`).toBe(200);
    return r.json;
  };
  const asB = (c: Call) => send(t.baseURL, b.key, c);

  /** Every view tenant A has of its own resources. */
  const ownerViews = () => [
    `/v1/agents/${resA.agent_id}`, `/v1/agents/${resA.agent_id}?version=1`, `/v1/agents/${resA.agent_id}/versions`,
    `/v1/environments/${resA.environment_id}`, `/v1/sessions/${resA.session_id}`, `/v1/model_cards/${resA.model_card_id}`, '/v1/model_cards?limit=1000',
    `/v1/sessions/${resA.session_id}/events?include_extensions=true&limit=1000`,
    '/v1/agents?include_archived=true&limit=1000', '/v1/environments?include_archived=true&limit=1000', '/v1/sessions?include_archived=true&limit=1000',
    `/v1/vaults/${resA.vault_id}`, `/v1/vaults/${resA.vault_id}/credentials?include_archived=true`, `/v1/vaults/${resA.vault_id}/credentials/${resA.credential_id}`,
    '/v1/vaults?include_archived=true&limit=1000',
    `/v1/memory_stores/${resA.memory_store_id}`, `/v1/memory_stores/${resA.memory_store_id}/memories?view=full`,
    `/v1/memory_stores/${resA.memory_store_id}/memory_versions?view=full`, '/v1/memory_stores?include_archived=true&limit=1000',
    `/v1/sessions/${resA.session_id}/resources`, `/v1/sessions?memory_store_id=${resA.memory_store_id}`,
    `/v1/files/${idsA.file_id}`, '/v1/files?limit=1000',
    `/v1/skills/${idsA.skill_id}`, `/v1/skills/${idsA.skill_id}/versions`, '/v1/skills?limit=1000',
    `/v1/webhooks/${idsA.webhook_id}`, '/v1/webhooks?limit=1000',
    `/v1/deployments/${idsA.deployment_id}`, '/v1/deployments?include_archived=true&limit=1000', `/v1/deployment_runs/${idsA.deployment_run_id}`, '/v1/deployment_runs?limit=1000',
  ];
  const snapshotA = async () => {
    const out = new Map<string, unknown>();
    for (const path of ownerViews()) {
      const r = await send(t.baseURL, a.key, { method: 'GET', path });
      expect(r.status, `GET ${path} as the owner: ${r.text.slice(0, 300)}`).toBe(200);
      out.set(path, stable(r));
    }
    return out;
  };

  beforeAll(async () => {
    fake = await startFakeModel();
    // Webhook deliveries are not attempted during the suite (their attempts would change the owner's views).
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url, VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '60000' } });
    a = await createTenant(t, 'a');
    b = await createTenant(t, 'b');
    routes = await listV1Routes(t.baseURL);
    resA = await createResources(asA, 'tenant-a', { sessionUsesEnvironment: true });
    const archivedAgent = await asA({ method: 'POST', path: '/v1/agents', body: { name: 'tenant-a-archived-agent', model: MODEL } });
    await asA({ method: 'POST', path: `/v1/agents/${archivedAgent.id}/archive` });
    const archivedEnv = await asA({ method: 'POST', path: '/v1/environments', body: { name: 'tenant-a-archived-env' } });
    await asA({ method: 'POST', path: `/v1/environments/${archivedEnv.id}/archive` });
    const archivedSession = await asA({ method: 'POST', path: '/v1/sessions', body: { agent: resA.agent_id, environment_id: resA.environment_id } });
    await asA({ method: 'POST', path: `/v1/sessions/${archivedSession.id}/archive` });
    archivedA = { agent_id: archivedAgent.id, environment_id: archivedEnv.id, session_id: archivedSession.id };
    const invitation = await createInvitation(t.server.services.store, { tenantId: a.id, email: 'invitee-of-a@example.com', role: 'member', memberEmails: [] });
    const fileA = await uploadFile(t.baseURL, a.key, 'file content of tenant a');
    BODIES['POST /v1/sessions/{session_id}/resources'] = { type: 'file', file_id: fileA };
    const skillA = await createSkill(t.baseURL, a.key, 'skill-of-a');
    const webhookA = await createWebhook(t, a.key, a.id, 'tenant-a');
    const deploymentA = await createDeployment(asA, 'tenant-a');
    idsA = { ...skillA, ...webhookA, ...deploymentA, file_id: fileA, model_card_id: resA.model_card_id, agent_id: resA.agent_id, environment_id: resA.environment_id, session_id: resA.session_id, api_key_id: a.keyId, invitation_id: invitation.id, vault_id: resA.vault_id, credential_id: resA.credential_id,
      memory_store_id: resA.memory_store_id, memory_id: resA.memory_id, memory_version_id: resA.memory_version_id, resource_id: resA.resource_id };
    secretsA = [...Object.values(idsA), ...Object.values(archivedA), ...resA.event_ids, ...resA.names, a.id, a.keyPrefix];
    before = await snapshotA();
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('finds the routes in /openapi.json and knows an id of tenant A for every path parameter', () => {
    const found = new Set(routes.map(routeKey));
    expect(KNOWN_ROUTES.filter((k) => !found.has(k)), 'routes missing from /openapi.json').toEqual([]);
    const unfillable = routes.filter((r) => r.params.some((p) => !(p in idsA))).map((r) => `${routeKey(r)} (${r.params.filter((p) => !(p in idsA)).join(', ')})`);
    expect(unfillable, 'routes with path parameters the cross-tenant matrix cannot fill: give each parameter a tenant A resource id in idsA').toEqual([]);
  });

  it("answers every route called with another tenant's ids exactly like an unknown id (404, nothing streamed)", async () => {
    const problems: string[] = [];
    const withParams = routes.filter((r) => r.params.length > 0).sort((x, y) => phaseOf(x) - phaseOf(y));
    for (const r of withParams) {
      const unknown = r.params.filter((p) => !(p in idsA));
      if (unknown.length > 0) {
        problems.push(`${routeKey(r)}: no tenant A id for path parameter(s) ${unknown.join(', ')}; add them to idsA`);
        continue;
      }
      const foreignIds = Object.fromEntries(r.params.map((p) => [p, idsA[p]!]));
      const ghostIds = Object.fromEntries(r.params.map((p) => [p, lookalikeId(idsA[p]!)]));
      for (const variant of casesOf(r)) {
        const call = callFor(r, foreignIds, variant);
        const problem = compareToGhost(await asB(call), await asB(callFor(r, ghostIds, variant)), { foreign: foreignIds, ghost: ghostIds });
        checks += 1;
        if (problem) problems.push(`${call.method} ${call.path}${variant.headers ? ` ${JSON.stringify(variant.headers)}` : ''}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
    expect(withParams.length).toBeGreaterThanOrEqual(KNOWN_ROUTES.filter((k) => k.includes('{')).length);
  });

  it("answers ids of another tenant inside request bodies and headers like unknown ids", async () => {
    const ownAgent = await send(t.baseURL, b.key, { method: 'POST', path: '/v1/agents', body: { name: 'tenant-b-agent', model: MODEL } });
    const ownEnv = await send(t.baseURL, b.key, { method: 'POST', path: '/v1/environments', body: { name: 'tenant-b-env' } });
    expect([ownAgent.status, ownEnv.status]).toEqual([200, 200]);
    const agentRefs = (agent: string): unknown[] => [
      agent, { type: 'agent', id: agent }, { type: 'agent', id: agent, version: 1 }, { type: 'agent', id: agent, version: 2 },
      { type: 'agent_with_overrides', id: agent, system: 'overridden by another tenant' },
    ];
    const bodies = (ids: Record<string, string>): unknown[] => [
      ...agentRefs(ids.agent_id!).map((agent) => ({ agent })),
      ...agentRefs(ids.archived_agent_id!).map((agent) => ({ agent })),
      ...agentRefs(ids.agent_id!).map((agent) => ({ agent, environment_id: ownEnv.json.id })),
      { environment_id: ids.environment_id },
      { environment_id: ids.archived_environment_id },
      { agent: ownAgent.json.id, environment_id: ids.environment_id },
      { agent: ownAgent.json.id, environment_id: ids.archived_environment_id },
      { agent: ownAgent.json.id, vault_ids: [ids.vault_id] },
    ];
    const foreign = { agent_id: resA.agent_id, environment_id: resA.environment_id, archived_agent_id: archivedA.agent_id, archived_environment_id: archivedA.environment_id, vault_id: resA.vault_id, memory_store_id: resA.memory_store_id };
    const ghost = Object.fromEntries(Object.entries(foreign).map(([k, v]) => [k, lookalikeId(v)]));
    const [foreignBodies, ghostBodies] = [bodies(foreign), bodies(ghost)];
    const problems: string[] = [];
    for (const [i, body] of foreignBodies.entries()) {
      const problem = compareToGhost(
        await asB({ method: 'POST', path: '/v1/sessions', body }),
        await asB({ method: 'POST', path: '/v1/sessions', body: ghostBodies[i] }),
        { foreign, ghost },
      );
      checks += 1;
      if (problem) problems.push(`POST /v1/sessions ${JSON.stringify(body)}: ${problem}`);
    }
    // Naming tenant A in the tenant header must not work with B's key, and must say no more than for a tenant that does not exist.
    const ghostTenant = `tenant_a_${randomBytes(4).toString('hex')}`;
    for (const r of routes.filter((x) => x.method === 'get' && !x.path.endsWith('/stream'))) {
      const withA = await asB({ ...callFor(r, idsA, {}), headers: { 'x-oma-tenant': a.id } });
      const withGhost = await asB({ ...callFor(r, idsA, {}), headers: { 'x-oma-tenant': ghostTenant } });
      checks += 1;
      const [x, y] = [maskedError(withA, { tenant: a.id }), maskedError(withGhost, { tenant: ghostTenant })];
      if (withA.status !== withGhost.status || withA.status < 400 || x !== y) problems.push(`GET ${r.path} as B with x-oma-tenant: A answers ${withA.status} ${x}, an unknown tenant ${withGhost.status} ${y}`);
    }
    expect(problems).toEqual([]);
  });

  it("lists none of another tenant's resources", async () => {
    const problems: string[] = [];
    const lists = routes.filter((r) => r.method === 'get' && r.params.length === 0).map((r) => r.path);
    lists.push(
      '/v1/agents?include_archived=true&limit=1000', '/v1/environments?include_archived=true&limit=1000', '/v1/sessions?include_archived=true&limit=1000',
      `/v1/sessions?agent_id=${resA.agent_id}`, `/v1/sessions?agent_id=${resA.agent_id}&agent_version=2&include_archived=true`,
      `/v1/sessions?memory_store_id=${resA.memory_store_id}&include_archived=true`,
    );
    for (const path of lists) {
      const r = await asB({ method: 'GET', path });
      checks += 1;
      if (r.status !== 200) problems.push(`GET ${path} answers ${r.status} ${r.text.slice(0, 200)}`);
      const leaked = secretsA.filter((s) => r.text.includes(s));
      if (leaked.length > 0) problems.push(`GET ${path} shows tenant A's ${leaked.join(', ')}`);
    }
    expect(problems).toEqual([]);
    // The same lists as the owner do show the resources, so the search above can find them.
    const own = (path: string) => send(t.baseURL, a.key, { method: 'GET', path }).then((r) => r.text);
    expect(await own('/v1/agents?include_archived=true&limit=1000')).toContain(archivedA.agent_id);
    expect(await own('/v1/environments?include_archived=true&limit=1000')).toContain(archivedA.environment_id);
    expect(await own(`/v1/sessions?agent_id=${resA.agent_id}&agent_version=2&include_archived=true`)).toContain(archivedA.session_id);
  });

  it("leaves tenant A's resources unchanged: nothing archived, deleted, updated, run or appended", async () => {
    expect(checks, 'the matrix ran before this check').toBeGreaterThan(0);
    const after = await snapshotA();
    for (const [path, view] of before) expect(after.get(path), `GET ${path} changed`).toEqual(view);
    const agent = after.get(`/v1/agents/${resA.agent_id}`) as { version: number; archived_at: string | null };
    expect([agent.version, agent.archived_at]).toEqual([2, null]);
    const session = after.get(`/v1/sessions/${resA.session_id}`) as { status: string; archived_at: string | null };
    expect([session.status, session.archived_at]).toEqual(['idle', null]);
    const events = after.get(`/v1/sessions/${resA.session_id}/events?include_extensions=true&limit=1000`) as { data: { id: string }[] };
    expect(events.data.map((e) => e.id)).toEqual(resA.event_ids);
    expect(fake.requests, "another tenant's user.message made tenant A's session call the model").toHaveLength(0);
    expect((await t.server.services.store.invitations.findById(idsA.invitation_id!))?.status, "tenant A's invitation was answered or revoked by another tenant").toBe('pending');
  });

  it("positive control: the owner's own calls of the same matrix succeed", async () => {
    // A second set of A's resources takes the calls; its environment is unused so it can be deleted.
    const control = await createResources(asA, 'control', { sessionUsesEnvironment: false });
    const controlKey = await createApiKey(t.server.services.store, { tenantId: a.id, name: 'control key' });
    const ids: Record<string, string> = {
      file_id: await uploadFile(t.baseURL, a.key, 'control file'),
      ...(await createSkill(t.baseURL, a.key, 'control-skill')),
      ...(await createWebhook(t, a.key, a.id, 'control')),
      ...(await createDeployment(asA, 'control')),
      model_card_id: control.model_card_id, agent_id: control.agent_id, environment_id: control.environment_id, session_id: control.session_id, api_key_id: controlKey.id,
      memory_store_id: control.memory_store_id, memory_id: control.memory_id, memory_version_id: control.memory_version_id, resource_id: control.resource_id,
    };
    fake.script([text('control reply')]);
    const sorted = routes.filter((r) => r.params.length > 0 && r.params.every((p) => p in ids)).sort((x, y) => phaseOf(x) - phaseOf(y));
    const problems: string[] = [];
    let turnAwaited = false;
    for (const r of sorted) {
      if (phaseOf(r) >= 2 && !turnAwaited) {
        // The user.message above started a turn; let it finish before archiving stops it.
        await fake.waitForRequests(1);
        await waitForIdle(new Anthropic({ apiKey: a.key, baseURL: t.baseURL, maxRetries: 0 }), control.session_id);
        turnAwaited = true;
      }
      for (const variant of casesOf(r)) {
        const call = callFor(r, ids, variant);
        const res = await send(t.baseURL, a.key, call);
        const expectStream = r.path.endsWith('/events/stream');
        const expected = OWNER_REFUSED.has(routeKey(r)) ? 400 : 200;
        if (res.status !== expected || res.streamed !== expectStream) problems.push(`${call.method} ${call.path}: ${res.status} ${res.streamed ? '(stream)' : res.text.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
    fake.assertDone();
  });
});
