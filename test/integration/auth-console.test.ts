/**
 * Console auth over real HTTP: better-auth sign-up/in/out with cookies, the Origin check on cookie
 * requests, API keys minted by a signed-in user and used by the SDK, revocation, memberships and
 * roles, tenant selection, and the sign-in rate limit.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { SIGN_IN_ATTEMPTS_PER_MINUTE } from '../../src/auth/console-auth.ts';

const MODEL = 'claude-sonnet-4-6';
const PASSWORD = 'correct horse battery';

describe.each(BACKENDS)('Console auth (%s)', (backend) => {
  let t: TestServer;
  let ann: ConsoleClient;
  beforeAll(async () => {
    t = await startTestServer(backend);
    ann = new ConsoleClient(t.baseURL);
    const res = await ann.signUp('ann@example.com', PASSWORD, 'Ann');
    expect(res.status, res.text).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('/auth-info lists email + password only by default', async () => {
    const res = await raw(t.baseURL, 'GET', '/auth-info', { apiKey: null });
    expect(res.json).toEqual({ auth_disabled: false, methods: { email_password: true, email_otp_verification: false, google: false }, sign_up: true });
  });

  it('sign-up signs in at once and creates the user’s own tenant as owner', async () => {
    expect(ann.hasSession()).toBe(true);
    const me = await ann.request('GET', '/v1/me');
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ user: { email: 'ann@example.com', name: 'Ann' }, tenant: { type: 'tenant', role: 'owner', name: "Ann's workspace" }, via: 'session' });
    expect(me.json.tenant.id).toMatch(/^tenant_/);
    expect(me.json.tenants).toEqual([me.json.tenant]);
    // The tenant exists in the main database with Ann as owner.
    const membership = await t.server.services.store.tenants.findMembership(me.json.tenant.id, me.json.user.id);
    expect(membership?.role).toBe('owner');
  });

  it('signing up twice with one email fails and creates nothing', async () => {
    const again = new ConsoleClient(t.baseURL);
    const res = await again.signUp('ann@example.com', 'another password', 'Impostor');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(again.hasSession()).toBe(false);
  });

  it('a too-short password is refused', async () => {
    const res = await new ConsoleClient(t.baseURL).signUp('short@example.com', 'short');
    expect(res.status).toBe(400);
  });

  it('sign-out ends the session; sign-in with the right password starts a new one, the wrong one does not', async () => {
    const bob = new ConsoleClient(t.baseURL);
    expect((await bob.signUp('bob@example.com', PASSWORD)).status).toBe(200);
    const staleCookie = bob.cookieHeader;
    expect((await bob.request('GET', '/v1/agents')).status).toBe(200);
    expect((await bob.signOut()).status).toBe(200);
    expect(bob.hasSession()).toBe(false);
    // The old cookie no longer works, with a message that says so.
    const stale = await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null, headers: { cookie: staleCookie } });
    expectError(stale, 401, 'authentication_error', /session is invalid or has expired/);

    const wrong = await bob.signIn('bob@example.com', 'not the password');
    expect(wrong.status).toBe(401);
    expect(bob.hasSession()).toBe(false);

    expect((await bob.signIn('bob@example.com', PASSWORD)).status).toBe(200);
    expect((await bob.request('GET', '/v1/agents')).status).toBe(200);
  });

  it('cookie requests that change state must come from this server’s origin (CSRF)', async () => {
    const noOrigin = new ConsoleClient(t.baseURL, null);
    expect((await noOrigin.signIn('ann@example.com', PASSWORD)).status).toBe(200);
    // Reads need no Origin (an EventSource or a navigation sends none).
    expect((await noOrigin.request('GET', '/v1/agents')).status).toBe(200);
    expectError(await noOrigin.request('POST', '/v1/agents', { name: 'x', model: MODEL }), 403, 'permission_error', /Origin/);
    // Sec-Fetch-Site: same-origin is what a browser sends on same-origin fetches.
    const sameSite = await noOrigin.request('POST', '/v1/agents', { name: 'fetch', model: MODEL }, { 'sec-fetch-site': 'same-origin' });
    expect(sameSite.status, sameSite.text).toBe(200);

    const evil = new ConsoleClient(t.baseURL);
    expect((await evil.signIn('ann@example.com', PASSWORD)).status).toBe(200);
    evil.origin = 'https://evil.example';
    expectError(await evil.request('POST', '/v1/agents', { name: 'x', model: MODEL }), 403, 'permission_error', /evil\.example/);
    expectError(await evil.request('GET', '/v1/agents'), 403, 'permission_error');
    // A foreign Origin on a state-changing request is refused whatever the credentials (issue #24): only
    // a browser sends one, and no page of another origin has a reason to change this server's state.
    const created = await ann.request('POST', '/v1/api_keys', { name: 'csrf-check' });
    const withKey = await raw(t.baseURL, 'POST', '/v1/agents', { apiKey: created.json.key, headers: { origin: 'https://evil.example' }, body: JSON.stringify({ name: 'k', model: MODEL }) });
    expectError(withKey, 403, 'permission_error', /evil\.example/);
    const keyNoOrigin = await raw(t.baseURL, 'POST', '/v1/agents', { apiKey: created.json.key, body: JSON.stringify({ name: 'k', model: MODEL }) });
    expect(keyNoOrigin.status, keyNoOrigin.text).toBe(200);
  });

  it('a signed-in user mints a key shown once; the SDK drives the API with it through both headers', async () => {
    const created = await ann.request('POST', '/v1/api_keys', { name: 'laptop' });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ type: 'api_key', name: 'laptop', last_used_at: null, revoked_at: null });
    expect(created.json.id).toMatch(/^apikey_/);
    expect(created.json.key).toMatch(/^oma_/);
    expect(created.json.key.startsWith(created.json.prefix)).toBe(true);
    const key: string = created.json.key;

    const viaHeader = new Anthropic({ apiKey: key, baseURL: t.baseURL, maxRetries: 0 });
    const agent = await viaHeader.beta.agents.create({ name: 'from-key', model: MODEL });
    const viaBearer = new Anthropic({ apiKey: null, authToken: key, baseURL: t.baseURL, maxRetries: 0 });
    expect((await viaBearer.beta.agents.retrieve(agent.id)).id).toBe(agent.id);
    // The key acts for Ann's tenant: her cookie sees the agent.
    const listed = await ann.request('GET', '/v1/agents');
    expect(listed.json.data.map((a: { id: string }) => a.id)).toContain(agent.id);

    const keys = await ann.request('GET', '/v1/api_keys');
    expect(keys.status).toBe(200);
    const entry = keys.json.data.find((k: { id: string }) => k.id === created.json.id);
    expect(entry).toMatchObject({ name: 'laptop', prefix: created.json.prefix });
    expect(entry.last_used_at).not.toBeNull();
    expect(keys.text).not.toContain(key);
    expect(keys.text).not.toMatch(/key_hash/);
    // Only the hash is stored.
    const row = await t.server.services.store.db.selectFrom('api_keys').selectAll().where('id', '=', created.json.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(key);
  });

  it('revoking a key refuses it on the very next request', async () => {
    const { json: created } = await ann.request('POST', '/v1/api_keys', { name: 'short-lived' });
    const sdk = new Anthropic({ apiKey: created.key, baseURL: t.baseURL, maxRetries: 0 });
    await sdk.beta.agents.list();
    const del = await ann.request('DELETE', `/v1/api_keys/${created.id}`);
    expect(del.status, del.text).toBe(200);
    expect(del.json).toEqual({ id: created.id, type: 'api_key_deleted' });
    await expect(sdk.beta.agents.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: created.key }), 401, 'authentication_error', /revoked/);
    expect((await ann.request('GET', '/v1/api_keys')).json.data.map((k: { id: string }) => k.id)).not.toContain(created.id);
    expectError(await ann.request('DELETE', `/v1/api_keys/${created.id}`), 404, 'not_found_error');
  });

  it('an API key cannot mint keys or manage members; a person must', async () => {
    const { json: created } = await ann.request('POST', '/v1/api_keys', { name: 'automation' });
    expectError(await raw(t.baseURL, 'POST', '/v1/api_keys', { apiKey: created.key, body: '{}' }), 403, 'permission_error', /signed-in Console user/);
    expectError(await raw(t.baseURL, 'POST', '/v1/tenant/members', { apiKey: created.key, body: JSON.stringify({ email: 'bob@example.com' }) }), 403, 'permission_error');
    // It can list and revoke keys of its tenant (rotation from automation).
    expect((await raw(t.baseURL, 'GET', '/v1/api_keys', { apiKey: created.key })).status).toBe(200);
  });

  it('bad credentials are 401 authentication_error in the Anthropic envelope', async () => {
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null }), 401, 'authentication_error', /missing credentials/);
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null, headers: { authorization: 'Basic YTpi' } }), 401, 'authentication_error', /Bearer/);
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: 'oma_unknown' }), 401, 'authentication_error', /unknown or was revoked/);
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null, headers: { cookie: 'oma.session_token=forged.value' } }), 401, 'authentication_error', /session/);
    const sdk = new Anthropic({ apiKey: 'oma_unknown', baseURL: t.baseURL, maxRetries: 0 });
    await expect(sdk.beta.sessions.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('an owner invites a user who accepts; the member picks the tenant per request and has a member’s rights', async () => {
    const cara = new ConsoleClient(t.baseURL);
    expect((await cara.signUp('cara@example.com', PASSWORD, 'Cara')).status).toBe(200);
    const caraHome = (await cara.request('GET', '/v1/me')).json.tenant.id as string;
    const annTenant = (await ann.request('GET', '/v1/me')).json.tenant.id as string;
    const annAgent = (await ann.request('POST', '/v1/agents', { name: 'ann-only', model: MODEL })).json;
    const annKey = (await ann.request('POST', '/v1/api_keys', { name: 'ann-key' })).json;

    expectError(await ann.request('POST', '/v1/tenant/invitations', { email: 'not an email' }), 400, 'invalid_request_error');
    const invited = await ann.request('POST', '/v1/tenant/invitations', { email: 'CARA@example.com' });
    expect(invited.status, invited.text).toBe(200);
    expect(invited.json).toMatchObject({ type: 'invitation', email: 'cara@example.com', role: 'member', status: 'pending' });
    expectError(await ann.request('POST', '/v1/tenant/invitations', { email: 'cara@example.com' }), 409, 'conflict_error');
    const accepted = await cara.request('POST', `/v1/tenant/invitations/${invited.json.id}/accept`);
    expect(accepted.status, accepted.text).toBe(200);
    expectError(await ann.request('POST', '/v1/tenant/invitations', { email: 'cara@example.com' }), 409, 'conflict_error', /already a member/);
    const members = (await ann.request('GET', '/v1/tenant/members')).json.data;
    expect(members.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual(expect.arrayContaining([['ann@example.com', 'owner'], ['cara@example.com', 'member']]));

    // Cara now has two tenants; without the header she acts in her home tenant.
    const me = (await cara.request('GET', '/v1/me')).json;
    expect(me.tenant.id).toBe(caraHome);
    expect(me.tenants.map((x: { id: string; role: string }) => [x.id, x.role])).toEqual([[caraHome, 'owner'], [annTenant, 'member']]);
    expectError(await cara.request('GET', `/v1/agents/${annAgent.id}`), 404, 'not_found_error');
    const asMember = { 'x-oma-tenant': annTenant };
    const seen = await cara.request('GET', `/v1/agents/${annAgent.id}`, undefined, asMember);
    expect(seen.status, seen.text).toBe(200);
    expect((await cara.request('GET', '/v1/me', undefined, asMember)).json.tenant).toMatchObject({ id: annTenant, role: 'member' });

    // A member may work with resources and mint their own keys, but not add members or revoke others' keys.
    expectError(await cara.request('POST', '/v1/tenant/invitations', { email: 'bob@example.com' }, asMember), 403, 'permission_error', /owner/);
    expectError(await cara.request('DELETE', `/v1/api_keys/${annKey.id}`, undefined, asMember), 403, 'permission_error');
    const caraKey = await cara.request('POST', '/v1/api_keys', { name: 'cara-in-ann' }, asMember);
    expect(caraKey.status).toBe(200);
    expect((await raw(t.baseURL, 'GET', `/v1/agents/${annAgent.id}`, { apiKey: caraKey.json.key })).status).toBe(200);
    expect((await cara.request('DELETE', `/v1/api_keys/${caraKey.json.id}`, undefined, asMember)).status).toBe(200);

    // A tenant she does not belong to is refused, whether or not it exists.
    expectError(await cara.request('GET', '/v1/agents', undefined, { 'x-oma-tenant': 'tenant_doesnotexist' }), 403, 'permission_error');
    const bobTenant = (await new ConsoleClient(t.baseURL).signIn('bob@example.com', PASSWORD)).json;
    expect(bobTenant.user.email).toBe('bob@example.com');
    // A key acts for its own tenant only.
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: annKey.key, headers: { 'x-oma-tenant': caraHome } }), 403, 'permission_error');
  });
});

describe('sign-in rate limit', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it(`more than ${SIGN_IN_ATTEMPTS_PER_MINUTE} sign-in attempts a minute from one address get 429, even with the right password`, async () => {
    const user = new ConsoleClient(t.baseURL);
    expect((await user.signUp('dana@example.com', PASSWORD)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < SIGN_IN_ATTEMPTS_PER_MINUTE + 2; i++) statuses.push((await new ConsoleClient(t.baseURL).signIn('dana@example.com', 'guess-' + i)).status);
    expect(statuses.slice(0, SIGN_IN_ATTEMPTS_PER_MINUTE).every((s) => s === 401), statuses.join(',')).toBe(true);
    expect(statuses.slice(SIGN_IN_ATTEMPTS_PER_MINUTE)).toEqual([429, 429]);
    const right = new ConsoleClient(t.baseURL);
    expect((await right.signIn('dana@example.com', PASSWORD)).status).toBe(429);
    expect(right.hasSession()).toBe(false);
    // A client cannot dodge the limit by claiming another address.
    const spoof = await new ConsoleClient(t.baseURL).request('POST', '/api/auth/sign-in/email', { email: 'dana@example.com', password: PASSWORD }, { 'x-oma-client-ip': '10.9.8.7', 'x-forwarded-for': '10.9.8.7' });
    expect(spoof.status).toBe(429);
    // Keys and existing sessions are unaffected.
    expect((await t.client.beta.agents.list()).data).toEqual(expect.any(Array));
  });
});
