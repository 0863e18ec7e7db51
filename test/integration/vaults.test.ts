import Anthropic from '@anthropic-ai/sdk';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { sql } from 'kysely';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';

const SECRETS = ['ghp_bearer_secret_0001', 'oauth_access_secret_0002', 'oauth_refresh_secret_0003', 'client_secret_0004', 'env_value_secret_0005', 'ghp_rotated_secret_0006', 'oauth_new_access_0007'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() ? [path] : [];
  });
}

/** A loopback MCP server + OAuth token endpoint: rejects the old access token, accepts the refreshed one. */
async function startOAuthServer(): Promise<{ url: string; requests: { path: string; auth?: string; body: string }[]; close(): Promise<void> }> {
  const requests: { path: string; auth?: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      if (req.url === '/token') {
        const form = new URLSearchParams(body);
        const ok = form.get('refresh_token') === SECRETS[2] && req.headers.authorization === `Basic ${Buffer.from(`client-1:${SECRETS[3]}`).toString('base64')}`;
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { access_token: SECRETS[6], expires_in: 3600, token_type: 'Bearer' } : { error: 'invalid_grant', refresh_token: SECRETS[2] }));
        return;
      }
      const ok = req.headers.authorization === `Bearer ${SECRETS[6]}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-06-18', capabilities: {} } } : { error: `bad token ${req.headers.authorization}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

describe.each(BACKENDS)('vaults and credentials API (%s)', (backend) => {
  let t: TestServer;
  let oauth: Awaited<ReturnType<typeof startOAuthServer>>;
  beforeAll(async () => {
    oauth = await startOAuthServer();
    t = await startTestServer(backend, { captureLogs: true, env: { LOG_LEVEL: 'trace', VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' } });
  });
  afterAll(async () => {
    await t?.stop();
    await oauth?.close();
  });

  it('creates, retrieves, updates (metadata patch), lists and archives a vault', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'github-prod', metadata: { team: 'infra', env: 'prod' } });
    expect(vault).toMatchObject({ type: 'vault', display_name: 'github-prod', metadata: { team: 'infra', env: 'prod' }, archived_at: null });
    expect(vault.id).toMatch(/^vlt_/);
    expect(await t.client.beta.vaults.retrieve(vault.id)).toEqual(vault);
    const updated = await t.client.beta.vaults.update(vault.id, { display_name: 'github', metadata: { env: null, owner: 'me' } });
    expect(updated.display_name).toBe('github');
    expect(updated.metadata).toEqual({ team: 'infra', owner: 'me' });
    const archived = await t.client.beta.vaults.archive(vault.id);
    expect(archived.archived_at).not.toBeNull();
    const live: string[] = [];
    for await (const v of t.client.beta.vaults.list()) live.push(v.id);
    expect(live).not.toContain(vault.id);
    const all: string[] = [];
    for await (const v of t.client.beta.vaults.list({ include_archived: true })) all.push(v.id);
    expect(all).toContain(vault.id);
    expectError(await raw(t.baseURL, 'POST', `/v1/vaults/${vault.id}`, { apiKey: t.apiKey, body: '{"display_name":"x"}' }), 400, 'invalid_request_error', /archived/);
  });

  it('pages vaults with next_page until the end', async () => {
    const client = await t.clientForTenant('tenant_pages');
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await client.beta.vaults.create({ display_name: `v${i}` })).id);
    const first = await client.beta.vaults.list({ limit: 2 });
    expect(first.data.length).toBe(2);
    const seen: string[] = [];
    for await (const v of client.beta.vaults.list({ limit: 2 })) seen.push(v.id);
    expect(seen).toEqual([...made].reverse());
    const res = await raw(t.baseURL, 'GET', '/v1/vaults?limit=5', { apiKey: (await createKey(t, 'tenant_pages')) });
    expect(res.json.next_page).toBeNull();
  });

  it('manages static_bearer, mcp_oauth and environment_variable credentials without ever returning a secret', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'creds' });
    const bearer = await t.client.beta.vaults.credentials.create(vault.id, {
      display_name: 'github-pat',
      auth: { type: 'static_bearer', token: SECRETS[0]!, mcp_server_url: 'https://api.github.com' },
    });
    expect(bearer).toMatchObject({ type: 'vault_credential', vault_id: vault.id, display_name: 'github-pat', auth: { type: 'static_bearer', mcp_server_url: 'https://api.github.com' }, metadata: {}, archived_at: null });
    expect(bearer.id).toMatch(/^vcrd_/);
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const oauthCred = await t.client.beta.vaults.credentials.create(vault.id, {
      auth: {
        type: 'mcp_oauth', access_token: SECRETS[1]!, mcp_server_url: `${oauth.url}/mcp`, expires_at: expires,
        refresh: { client_id: 'client-1', refresh_token: SECRETS[2]!, token_endpoint: `${oauth.url}/token`, token_endpoint_auth: { type: 'client_secret_basic', client_secret: SECRETS[3]! }, scope: 'read' },
      },
    });
    expect(oauthCred.auth).toEqual({
      type: 'mcp_oauth', mcp_server_url: `${oauth.url}/mcp`, expires_at: expires,
      refresh: { client_id: 'client-1', token_endpoint: `${oauth.url}/token`, token_endpoint_auth: { type: 'client_secret_basic' }, resource: null, scope: 'read' },
    });
    const envCred = await t.client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'environment_variable', secret_name: 'STRIPE_KEY', secret_value: SECRETS[4]!, networking: { type: 'limited', allowed_hosts: ['api.stripe.com', '*.stripe.com'] } },
    });
    expect(envCred.auth).toEqual({ type: 'environment_variable', secret_name: 'STRIPE_KEY', networking: { type: 'limited', allowed_hosts: ['api.stripe.com', '*.stripe.com'] }, injection_location: { header: true, body: false } });

    const rotated = await t.client.beta.vaults.credentials.update(bearer.id, { vault_id: vault.id, auth: { type: 'static_bearer', token: SECRETS[5]! }, metadata: { k: 'v' } });
    expect(rotated.auth).toEqual({ type: 'static_bearer', mcp_server_url: 'https://api.github.com' });
    expect(rotated.metadata).toEqual({ k: 'v' });
    expect(await t.client.beta.vaults.credentials.retrieve(bearer.id, { vault_id: vault.id })).toEqual(rotated);
    const listed = [];
    for await (const c of t.client.beta.vaults.credentials.list(vault.id)) listed.push(c.id);
    expect(listed.sort()).toEqual([bearer.id, oauthCred.id, envCred.id].sort());

    // mcp_oauth_validate: the stored token is rejected (401), the refresh succeeds and is persisted, the new token works.
    const validation = await t.client.beta.vaults.credentials.mcpOAuthValidate(oauthCred.id, { vault_id: vault.id });
    expect(validation).toMatchObject({ type: 'vault_credential_validation', credential_id: oauthCred.id, vault_id: vault.id, status: 'valid', has_refresh_token: true, refresh: { status: 'succeeded', http_response: null }, mcp_probe: null });
    expect(oauth.requests.map((r) => r.path)).toEqual(['/mcp', '/token', '/mcp']);
    const again = await t.client.beta.vaults.credentials.mcpOAuthValidate(oauthCred.id, { vault_id: vault.id });
    expect(again.status).toBe('valid');
    expect(again.refresh).toBeNull();
    const refreshed = await t.client.beta.vaults.credentials.retrieve(oauthCred.id, { vault_id: vault.id });
    expect(refreshed.auth.type === 'mcp_oauth' && refreshed.auth.expires_at).not.toBe(expires);

    // Every response, the server log and the stored rows/files never carry a secret in plaintext.
    const bodies = JSON.stringify([bearer, oauthCred, envCred, rotated, validation, again, refreshed, (await raw(t.baseURL, 'GET', `/v1/vaults/${vault.id}/credentials`, { apiKey: t.apiKey })).json]);
    const logs = t.logLines.join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    const rows = await sql<{ secret: string; auth: string }>`SELECT secret, auth FROM vault_credentials`.execute(t.server.services.store.db);
    expect(rows.rows.every((r) => r.secret.startsWith('sb1.'))).toBe(true);
    const stored = JSON.stringify(rows.rows);
    const files = filesUnder(t.config.dataDir).map((f) => readFileSync(f).toString('latin1')).join('\n');
    for (const secret of SECRETS) {
      expect(bodies, secret).not.toContain(secret);
      expect(logs, secret).not.toContain(secret);
      expect(stored, secret).not.toContain(secret);
      expect(files, secret).not.toContain(secret);
    }
  });

  it('archives and deletes credentials; archiving or deleting a vault cascades', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'cascade' });
    const a = await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: 'tok-a-123', mcp_server_url: 'https://a.example.com' } });
    const b = await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: 'tok-b-123', mcp_server_url: 'https://b.example.com' } });
    const archivedA = await t.client.beta.vaults.credentials.archive(a.id, { vault_id: vault.id });
    expect(archivedA.archived_at).not.toBeNull();
    expect((await t.client.beta.vaults.credentials.list(vault.id)).data.map((c) => c.id)).toEqual([b.id]);
    expect((await t.client.beta.vaults.credentials.list(vault.id, { include_archived: true })).data.length).toBe(2);
    await t.client.beta.vaults.archive(vault.id);
    expect((await t.client.beta.vaults.credentials.retrieve(b.id, { vault_id: vault.id })).archived_at).not.toBeNull();
    expect(await t.client.beta.vaults.credentials.delete(a.id, { vault_id: vault.id })).toEqual({ id: a.id, type: 'vault_credential_deleted' });
    expect(await t.client.beta.vaults.delete(vault.id)).toEqual({ id: vault.id, type: 'vault_deleted' });
    expect(await t.client.beta.vaults.credentials.retrieve(b.id, { vault_id: vault.id }).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.NotFoundError);
    const left = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM vault_credentials WHERE vault_id = ${vault.id}`.execute(t.server.services.store.db);
    expect(Number(left.rows[0]!.n)).toBe(0);
  });

  it('refuses bad input with 4xx envelopes that never echo the secret', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'bad' });
    const path = `/v1/vaults/${vault.id}/credentials`;
    const post = (body: unknown) => raw(t.baseURL, 'POST', path, { apiKey: t.apiKey, body: JSON.stringify(body) });
    expectError(await post({ auth: { type: 'api_key', token: 'secret-xyz-1' } }), 400, 'invalid_request_error', /auth\.type/);
    expectError(await post({ auth: { type: 'static_bearer', mcp_server_url: 'https://x.example.com' } }), 400, 'invalid_request_error', /auth\.token: is required/);
    expectError(await post({ auth: { type: 'static_bearer', token: 'secret-xyz-2', mcp_server_url: 'ftp://x' } }), 400, 'invalid_request_error', /mcp_server_url/);
    expectError(await post({ auth: { type: 'static_bearer', token: 'secret-xyz-3', mcp_server_url: 'https://x.example.com', extra: 1 } }), 400, 'invalid_request_error', /unknown field/);
    expectError(await post({ auth: { type: 'environment_variable', secret_name: '1BAD', secret_value: 'secret-xyz-4', networking: { type: 'unrestricted' } } }), 400, 'invalid_request_error', /secret_name/);
    expectError(await post({ auth: { type: 'environment_variable', secret_name: 'OK', secret_value: 'secret-xyz-5', networking: { type: 'limited', allowed_hosts: ['https://x.com/path'] } } }), 400, 'invalid_request_error', /allowed_hosts/);
    expectError(await post({ auth: { type: 'environment_variable', secret_name: 'OK', secret_value: 'secret-xyz-6', networking: { type: 'unrestricted' }, injection_location: { header: false, body: false } } }), 400, 'invalid_request_error', /injection_location/);
    expectError(await post({ auth: { type: 'mcp_oauth', access_token: 'secret-xyz-7', mcp_server_url: 'https://m.example.com', expires_at: '2001-01-01T00:00:00Z' } }), 400, 'invalid_request_error', /future/);
    const ok = await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: 'secret-xyz-8', mcp_server_url: 'https://dup.example.com' } });
    expectError(await post({ auth: { type: 'static_bearer', token: 'secret-xyz-9', mcp_server_url: 'https://dup.example.com' } }), 409, 'conflict_error', /already authenticates/);
    const wrongType = await raw(t.baseURL, 'POST', `${path}/${ok.id}`, { apiKey: t.apiKey, body: JSON.stringify({ auth: { type: 'mcp_oauth', access_token: 'secret-xyz-10' } }) });
    expectError(wrongType, 400, 'invalid_request_error', /cannot change/);
    expectError(await raw(t.baseURL, 'POST', '/v1/vaults', { apiKey: t.apiKey, body: '{"display_name":""}' }), 400, 'invalid_request_error', /display_name/);
    expectError(await raw(t.baseURL, 'POST', '/v1/vaults', { apiKey: t.apiKey, body: '{"display_name":"x","name":"seed-spelling"}' }), 400, 'invalid_request_error', /unknown field\(s\): name/);
    expectError(await raw(t.baseURL, 'GET', `/v1/vaults/vlt_nope/credentials/${ok.id}`, { apiKey: t.apiKey }), 404, 'not_found_error');
    expectError(await raw(t.baseURL, 'POST', `${path}/${ok.id}/mcp_oauth_validate`, { apiKey: t.apiKey }), 400, 'invalid_request_error', /only mcp_oauth/);
    expect(t.logLines.join('\n')).not.toMatch(/secret-xyz-/);
  });

  it("binds a session only to the caller's own live vaults; foreign and unknown ids are 404 alike", async () => {
    const agent = await t.client.beta.agents.create({ name: 'vault-binder', model: 'claude-sonnet-4-6' });
    const mine = await t.client.beta.vaults.create({ display_name: 'mine' });
    const other = await t.clientForTenant('tenant_other');
    const theirs = await other.beta.vaults.create({ display_name: 'theirs' });
    const session = await t.client.beta.sessions.create({ agent: agent.id, vault_ids: [mine.id, mine.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    expect(session.vault_ids).toEqual([mine.id]);
    const foreign = await raw(t.baseURL, 'POST', '/v1/sessions', { apiKey: t.apiKey, body: JSON.stringify({ agent: agent.id, vault_ids: [theirs.id] }) });
    const unknown = await raw(t.baseURL, 'POST', '/v1/sessions', { apiKey: t.apiKey, body: JSON.stringify({ agent: agent.id, vault_ids: ['vlt_doesnotexist'] }) });
    expectError(foreign, 404, 'not_found_error');
    expectError(unknown, 404, 'not_found_error');
    expect(foreign.json.error.message.replace(theirs.id, 'X')).toBe(unknown.json.error.message.replace('vlt_doesnotexist', 'X'));
    await t.client.beta.vaults.archive(mine.id);
    expectError(await raw(t.baseURL, 'POST', '/v1/sessions', { apiKey: t.apiKey, body: JSON.stringify({ agent: agent.id, vault_ids: [mine.id] }) }), 400, 'invalid_request_error', /archived/);
    expect(await other.beta.vaults.retrieve(mine.id).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.NotFoundError);
  });
});

async function createKey(t: TestServer, tenantId: string): Promise<string> {
  const { createApiKey } = await import('../../src/auth/api-keys.ts');
  return (await createApiKey(t.server.services.store, { tenantId, name: 'raw' })).key;
}
