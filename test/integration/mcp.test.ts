/**
 * MCP servers end to end on both backends: a loopback MCP server built with the MCP SDK, the
 * scripted fake model, the real server in-process. The agent's mcp_toolset tools are listed (every
 * page), offered under their MCP names and called through the server's MCP client, authorised by
 * vault credentials whose tokens never leave the server process.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel } from '../support/fake-model/index.ts';
import { startFakeMcp, PNG_1X1, type FakeMcp } from '../support/fake-mcp.ts';
import { listEvents, userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { raw } from '../support/http.ts';
import { waitFor } from '../support/wait-for.ts';

const TOKEN = 'mcp_bearer_secret_4d1f7a';
const OTHER_TENANT_TOKEN = 'mcp_foreign_secret_93bc';
const ALL_TOOLS = ['lookup_weather', 'slow_task', 'always_fails', 'broken_protocol', 'get_image', 'big_result', 'filler_0', 'filler_1', 'filler_2', 'filler_3', 'filler_4'];

const resultText = (e: WireEvent) => ((e.content as { type: string; text?: string }[]) ?? []).map((b) => b.text ?? '').join('');
const toolNames = (body: Anthropic.MessageCreateParams) => (body.tools ?? []).map((x) => (x as { name: string }).name);
const lastToolResults = (body: Anthropic.MessageCreateParams) =>
  ((body.messages.at(-1)?.content ?? []) as { type: string; tool_use_id?: string; is_error?: boolean; content?: { type: string; text?: string }[] }[]).filter((b) => b.type === 'tool_result');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    return stat.isDirectory() ? filesUnder(path) : stat.isFile() ? [path] : [];
  });
}

describe.each(BACKENDS)('MCP servers (%s)', (backend) => {
  let fake: FakeModel;
  let mcp: FakeMcp;
  let t: TestServer;
  let url: string;
  const accepted = new Set([TOKEN, OTHER_TENANT_TOKEN]);
  let oauthCounter = 0;
  beforeAll(async () => {
    fake = await startFakeModel();
    mcp = await startFakeMcp({
      acceptedTokens: accepted,
      bigResultBytes: 200_000,
      oauth: { refreshToken: 'oauth-refresh-1', clientId: 'client-9', next: () => ({ access_token: `oauth-access-${++oauthCounter}`, refresh_token: `oauth-refresh-${oauthCounter + 1}`, expires_in: 3600 }) },
    });
    url = `${mcp.url}/mcp`;
    t = await startTestServer(backend, {
      captureLogs: true,
      env: { LOG_LEVEL: 'debug', ANTHROPIC_BASE_URL: fake.url, VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', MCP_CALL_TIMEOUT_MS: '4000', MCP_MAX_RESULT_BYTES: '100000' },
    });
  }, 60_000);
  afterEach(() => {
    if (process.env.MCP_DEBUG) console.log(fake.failures);
    if (process.env.MCP_DEBUG) for (const r of fake.requests.slice(-3)) console.log(JSON.stringify(r.body.messages.at(-1)).slice(0, 1500));
    fake.assertDone();
  });
  afterAll(async () => {
    await t?.stop();
    await mcp?.close();
    await fake?.close();
  });

  async function bearerVault(client: Anthropic = t.client, token = TOKEN, serverUrl = url) {
    const vault = await client.beta.vaults.create({ display_name: 'mcp' });
    const credential = await client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token, mcp_server_url: serverUrl } });
    return { vault, credential };
  }

  async function mcpSession(options: { toolset?: Record<string, unknown>; vaultIds?: string[]; serverUrl?: string; client?: Anthropic } = {}) {
    const client = options.client ?? t.client;
    const agent = await client.beta.agents.create({
      name: 'mcp-agent',
      model: 'claude-sonnet-4-6',
      mcp_servers: [{ type: 'url', name: 'weather', url: options.serverUrl ?? url }],
      tools: [{ type: 'mcp_toolset', mcp_server_name: 'weather', ...(options.toolset ?? {}) }],
    } as never);
    return client.beta.sessions.create({ agent: agent.id, vault_ids: options.vaultIds ?? [] } as Anthropic.Beta.Sessions.SessionCreateParams);
  }

  const allow = { default_config: { permission_policy: { type: 'always_allow' } } };

  it('answers a question by calling the MCP tool: every page listed, MCP names offered, bearer from the vault, the token never outside the server', async () => {
    const { vault, credential } = await bearerVault();
    const before = { initializes: mcp.initializes, lists: mcp.listRequests, terminated: mcp.terminated };
    fake.script([
      expecting(reply(toolUse('lookup_weather', { city: 'Paris' })), (r) => {
        // Every page of the listing, minus the tool the toolset disables.
        expect(toolNames(r.body).sort()).toEqual(ALL_TOOLS.filter((n) => n !== 'always_fails').sort());
      }),
      expecting(reply(text('It is 21°C and sunny in Paris.')), (r) => {
        const [result] = lastToolResults(r.body);
        expect(result?.is_error).toBe(false);
        expect(JSON.stringify(result?.content)).toContain('Weather in Paris: 21°C');
      }),
    ]);
    const s = await mcpSession({ toolset: { ...allow, configs: [{ name: 'always_fails', enabled: false }] }, vaultIds: [vault.id] });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('What is the weather in Paris?')] });
    const events = await waitForIdle(t.client, s.id);
    const use = events.find((e) => e.type === 'agent.mcp_tool_use')!;
    expect(use).toMatchObject({ name: 'lookup_weather', mcp_server_name: 'weather', input: { city: 'Paris' }, evaluated_permission: 'allow', evaluation: { type: 'always_allow' } });
    const result = events.find((e) => e.type === 'agent.mcp_tool_result')!;
    expect(result).toMatchObject({ mcp_tool_use_id: use.id, is_error: false });
    expect(resultText(result)).toContain('Weather in Paris');
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(events.some((e) => e.type === 'agent.tool_use' || e.type === 'session.error')).toBe(false);

    // One MCP session for the turn (two model requests, one call), the listing paged once, closed at idle.
    expect(mcp.initializes - before.initializes).toBe(1);
    expect(mcp.listRequests - before.lists).toBe(4);
    await waitFor(() => mcp.terminated - before.terminated === 1, { timeoutMs: 10_000, message: 'MCP session not closed when the session idled' });
    expect(mcp.authHeaders.filter((h) => h === `Bearer ${TOKEN}`).length).toBeGreaterThan(0);

    // The token is nowhere but in the server process.
    const everything = await raw(t.baseURL, 'GET', `/v1/sessions/${s.id}/events?include_extensions=true&limit=1000`, { apiKey: t.apiKey });
    expect(everything.text).not.toContain(TOKEN);
    expect(JSON.stringify(await t.client.beta.sessions.retrieve(s.id))).not.toContain(TOKEN);
    expect(JSON.stringify(await t.client.beta.vaults.credentials.retrieve(credential.id, { vault_id: vault.id }))).not.toContain(TOKEN);
    expect(JSON.stringify(fake.requests)).not.toContain(TOKEN);
    expect(t.logLines.join('\n')).not.toContain(TOKEN);
    expect(t.logLines.join('\n')).toContain('MCP server connected');
    for (const file of filesUnder(t.config.sandbox.workdir)) expect(readFileSync(file, 'latin1').includes(TOKEN), file).toBe(false);
  });

  it('always_ask is the MCP default: the call waits for user.tool_confirmation; allow runs it, deny does not', async () => {
    const { vault } = await bearerVault();
    fake.script([
      reply(toolUse('lookup_weather', { city: 'Oslo' })),
      expecting(reply(text('Oslo is sunny.')), (r) => {
        expect(JSON.stringify(lastToolResults(r.body))).toContain('Weather in Oslo');
      }),
      reply(toolUse('lookup_weather', { city: 'Rome' })),
      expecting(reply(text('Understood.')), (r) => {
        const [result] = lastToolResults(r.body);
        expect(result?.is_error).toBe(true);
        expect(JSON.stringify(result?.content)).toContain('not today');
      }),
    ]);
    const s = await mcpSession({ vaultIds: [vault.id] });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Oslo?')] });
    let events = await waitForIdle(t.client, s.id);
    const ask = events.find((e) => e.type === 'agent.mcp_tool_use')!;
    expect(ask).toMatchObject({ evaluated_permission: 'ask', evaluation: { type: 'always_ask' } });
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'requires_action', event_ids: [ask.id] } });
    const callsBefore = mcp.calls.lookup_weather ?? 0;
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: ask.id, result: 'allow' }] });
    events = await waitForIdle(t.client, s.id, 2);
    expect(mcp.calls.lookup_weather).toBe(callsBefore + 1);
    expect(events.find((e) => e.type === 'agent.mcp_tool_result')).toMatchObject({ mcp_tool_use_id: ask.id, is_error: false });

    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Rome?')] });
    events = await waitForIdle(t.client, s.id, 3);
    const second = events.filter((e) => e.type === 'agent.mcp_tool_use')[1]!;
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: second.id, result: 'deny', deny_message: 'not today' }] });
    events = await waitForIdle(t.client, s.id, 4);
    expect(mcp.calls.lookup_weather).toBe(callsBefore + 1);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  });

  it('failures become error results and the turn goes on: a failing tool, a protocol error, an oversized result, a timeout; images come through', async () => {
    const { vault } = await bearerVault();
    fake.script([
      reply(toolUse('always_fails', {}), toolUse('broken_protocol', {}), toolUse('get_image', {}), toolUse('big_result', {}), toolUse('slow_task', {})),
      expecting(reply(text('Some of that worked.')), (r) => {
        const results = lastToolResults(r.body);
        expect(results.map((b) => b.is_error)).toEqual([true, true, false, true, true]);
        expect(JSON.stringify(results[2]!.content)).toContain(PNG_1X1);
      }),
    ]);
    const s = await mcpSession({ toolset: allow, vaultIds: [vault.id] });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Try everything')] });
    const events = await waitForIdle(t.client, s.id, 1, 30_000);
    const results = events.filter((e) => e.type === 'agent.mcp_tool_result');
    expect(results.map((e) => e.is_error)).toEqual([true, true, false, true, true]);
    expect(resultText(results[0]!)).toContain('the widget backend is on fire');
    expect(resultText(results[1]!)).toContain('broken_protocol refuses every argument');
    expect(results[2]!.content).toEqual([{ type: 'text', text: 'a tiny picture:' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1X1 } }]);
    expect(resultText(results[3]!)).toMatch(/200000 bytes.*MCP_MAX_RESULT_BYTES/);
    expect(resultText(results[4]!)).toMatch(/did not answer the call of "slow_task".*MCP_CALL_TIMEOUT_MS/);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  });

  it('user.interrupt during an MCP call stops it: one error result, the call is not repeated, the turn ends', async () => {
    const { vault } = await bearerVault();
    fake.script([reply(toolUse('slow_task', {}))]);
    const s = await mcpSession({ toolset: allow, vaultIds: [vault.id] });
    const before = mcp.calls.slow_task ?? 0;
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Run the slow task')] });
    await mcp.waitForSlowCall(before + 1);
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.interrupt' }] });
    const events = await waitForIdle(t.client, s.id);
    const results = events.filter((e) => e.type === 'agent.mcp_tool_result');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ is_error: true });
    expect(resultText(results[0]!)).toContain('was stopped: the user interrupted the turn');
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(mcp.calls.slow_task).toBe(before + 1);
  });

  it('falls back to the legacy SSE transport when the server does not speak Streamable HTTP', async () => {
    const { vault } = await bearerVault(t.client, TOKEN, `${mcp.url}/sse`);
    fake.script([reply(toolUse('lookup_weather', { city: 'Lima' })), reply(text('Lima is sunny.'))]);
    const s = await mcpSession({ toolset: allow, vaultIds: [vault.id], serverUrl: `${mcp.url}/sse` });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Lima?')] });
    const events = await waitForIdle(t.client, s.id);
    const result = events.find((e) => e.type === 'agent.mcp_tool_result')!;
    expect(result.is_error).toBe(false);
    expect(resultText(result)).toContain('Weather in Lima');
  });

  it('mcp_oauth: a 401 refreshes the token, an expired token is refreshed before use, the rotated tokens are stored sealed', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'oauth' });
    const credential = await t.client.beta.vaults.credentials.create(vault.id, {
      auth: {
        type: 'mcp_oauth', access_token: 'oauth-access-stale', mcp_server_url: url, expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        refresh: { client_id: 'client-9', refresh_token: 'oauth-refresh-1', token_endpoint: `${mcp.url}/token`, token_endpoint_auth: { type: 'none' } },
      },
    });
    const refreshesBefore = mcp.refreshes;
    const terminatedBefore = mcp.terminated;
    fake.script([reply(toolUse('lookup_weather', { city: 'Kyiv' })), reply(text('ok')), reply(toolUse('lookup_weather', { city: 'Riga' })), reply(text('ok'))]);
    const s = await mcpSession({ toolset: allow, vaultIds: [vault.id] });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Kyiv?')] });
    let events = await waitForIdle(t.client, s.id);
    expect(events.find((e) => e.type === 'agent.mcp_tool_result')).toMatchObject({ is_error: false });
    expect(mcp.refreshes - refreshesBefore).toBe(1);
    const first = `oauth-access-${oauthCounter}`;
    expect(mcp.authHeaders.at(-1)).toBe(`Bearer ${first}`);
    // Stored sealed: the row holds neither the new access token nor the rotated refresh token in clear.
    const row = (await t.server.services.store.vaults.findCredential('tenant_test', vault.id, credential.id))!;
    expect(row.secret.startsWith('sb1.')).toBe(true);
    expect(row.secret).not.toContain(first);
    expect(t.server.services.oauthRefresher.open(row).secret).toMatchObject({ access_token: first, refresh_token: `oauth-refresh-${oauthCounter + 1}` });

    // Expired (moved into the past in the database): refreshed before the first request goes out.
    const auth = JSON.parse(row.auth) as Record<string, unknown>;
    await t.server.services.store.vaults.updateCredential('tenant_test', credential.id, { auth: JSON.stringify({ ...auth, expires_at: new Date(Date.now() - 60_000).toISOString() }) });
    // The first turn's MCP session has been closed (its DELETE carried the old token).
    await waitFor(() => mcp.terminated > terminatedBefore, { timeoutMs: 10_000, message: 'MCP session not closed at idle' });
    const headersBefore = mcp.authHeaders.length;
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Riga?')] });
    events = await waitForIdle(t.client, s.id, 2);
    expect(mcp.refreshes - refreshesBefore).toBe(2);
    const second = `oauth-access-${oauthCounter}`;
    expect(new Set(mcp.authHeaders.slice(headersBefore))).toEqual(new Set([`Bearer ${second}`]));
    const everything = await raw(t.baseURL, 'GET', `/v1/sessions/${s.id}/events?include_extensions=true&limit=1000`, { apiKey: t.apiKey });
    for (const secret of [first, second, 'oauth-refresh-1']) {
      expect(everything.text).not.toContain(secret);
      expect(JSON.stringify(fake.requests)).not.toContain(secret);
      expect(t.logLines.join('\n')).not.toContain(secret);
    }
  });

  it('mcp_oauth whose refresh fails: the tool result names the credential and why, and vault_credential.refresh_failed goes to the outbox', async () => {
    const client = await t.clientForTenant('tenant_mcp_refresh');
    const store = t.server.services.store;
    const created = await raw(t.baseURL, 'POST', '/v1/webhooks', { apiKey: client.apiKey, body: JSON.stringify({ url: `${mcp.url}/hook`, event_types: ['vault_credential.refresh_failed'] }) });
    expect(created.status, created.text).toBe(200);
    const endpoint = created.json as { id: string };
    const vault = await client.beta.vaults.create({ display_name: 'oauth-broken' });
    const credential = await client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'mcp_oauth', access_token: 'oauth-access-revoked', mcp_server_url: url, refresh: { client_id: 'client-9', refresh_token: 'oauth-refresh-revoked', token_endpoint: `${mcp.url}/token`, token_endpoint_auth: { type: 'none' } } },
    });
    fake.script([expecting(reply(text('Refused.')), (r) => {
      expect(toolNames(r.body)).toEqual([]);
    })]);
    const s = await mcpSession({ client, toolset: allow, vaultIds: [vault.id] });
    await client.beta.sessions.events.send(s.id, { events: [userMessage('Weather?')] });
    const events = await waitForIdle(client, s.id);
    const error = events.find((e) => e.type === 'session.error')!;
    expect(error.error).toMatchObject({ type: 'mcp_authentication_failed_error', mcp_server_name: 'weather' });
    expect((error.error as { message: string }).message).toContain(`credential ${credential.id} (mcp_oauth) in vault ${vault.id}`);
    expect((error.error as { message: string }).message).toContain('refreshing it failed: the token endpoint answered HTTP 400');
    const deliveries = await store.webhooks.listDeliveries('tenant_mcp_refresh', endpoint.id, { limit: 10 });
    expect(deliveries.data.map((d) => d.event_type)).toContain('vault_credential.refresh_failed');
    const event = await store.webhooks.findEvent(deliveries.data[0]!.event_id);
    expect(JSON.parse(event!.data)).toEqual({ type: 'vault_credential.refresh_failed', id: credential.id, vault_id: vault.id });
    expect((await raw(t.baseURL, 'DELETE', `/v1/webhooks/${endpoint.id}`, { apiKey: client.apiKey })).status).toBe(200);
  });

  it('without a credential the 401 is reported naming the missing vault credential (listing: session.error; call: tool result); tenants never share credentials', async () => {
    // Another tenant holds a working credential for the same URL; it is never used for this tenant.
    const other = await t.clientForTenant('tenant_mcp_other');
    const foreign = await bearerVault(other, OTHER_TENANT_TOKEN);
    const emptyVault = await t.client.beta.vaults.create({ display_name: 'empty' });
    const headersBefore = mcp.authHeaders.length;
    fake.script([expecting(reply(text('The weather service refused me.')), (r) => {
        expect(toolNames(r.body)).toEqual([]);
      })]);
    const s = await mcpSession({ vaultIds: [emptyVault.id] });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Weather?')] });
    const events = await waitForIdle(t.client, s.id);
    const error = events.find((e) => e.type === 'session.error')!;
    expect(error.error).toMatchObject({ type: 'mcp_authentication_failed_error', mcp_server_name: 'weather', retry_status: { type: 'retrying' } });
    expect((error.error as { message: string }).message).toContain(emptyVault.id);
    expect((error.error as { message: string }).message).toContain(`mcp_server_url "${url}"`);
    expect(mcp.authHeaders.slice(headersBefore)).not.toContain(`Bearer ${OTHER_TENANT_TOKEN}`);
    // The other tenant's vault cannot even be bound.
    const bind = await raw(t.baseURL, 'POST', '/v1/sessions', { apiKey: t.apiKey, body: JSON.stringify({ agent: s.agent.id, vault_ids: [foreign.vault.id] }) });
    expect(bind.status).toBe(404);

    // A call whose credential went away meanwhile: the tool result names it.
    const { vault, credential } = await bearerVault();
    fake.script([reply(toolUse('lookup_weather', { city: 'Bern' })), expecting(reply(text('No access.')), (r) => {
        expect(JSON.stringify(lastToolResults(r.body))).toContain('mcp_server_url');
      })]);
    const s2 = await mcpSession({ vaultIds: [vault.id] });
    await t.client.beta.sessions.events.send(s2.id, { events: [userMessage('Bern?')] });
    const asked = (await waitForIdle(t.client, s2.id)).find((e) => e.type === 'agent.mcp_tool_use')!;
    await t.client.beta.vaults.credentials.archive(credential.id, { vault_id: vault.id });
    await t.client.beta.sessions.events.send(s2.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: asked.id, result: 'allow' }] });
    const after = await waitForIdle(t.client, s2.id, 2);
    const result = after.find((e) => e.type === 'agent.mcp_tool_result')!;
    expect(result.is_error).toBe(true);
    expect(resultText(result)).toMatch(new RegExp(`refused the request \\(HTTP 401\\).*${vault.id}.*mcp_server_url "${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
  });

  it('the server going down mid-session: the call is an error result, the turn ends; once it is back the session uses it again', async () => {
    const { vault } = await bearerVault();
    fake.script([
      reply(toolUse('lookup_weather', { city: 'Lisbon' })),
      () => {
        void mcp.stop();
        return reply(toolUse('lookup_weather', { city: 'Porto' }));
      },
      expecting(reply(text('The weather service is down.')), (r) => {
        expect(toolNames(r.body)).toEqual([]);
        const [result] = lastToolResults(r.body);
        expect(result?.is_error).toBe(true);
        expect(JSON.stringify(result?.content)).toContain('could not be reached');
      }),
    ]);
    const s = await mcpSession({ toolset: allow, vaultIds: [vault.id] });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Lisbon and Porto?')] });
    let events = await waitForIdle(t.client, s.id, 1, 30_000);
    expect(events.filter((e) => e.type === 'agent.mcp_tool_result').map((e) => e.is_error)).toEqual([false, true]);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    // The next model request of that turn could not list the tools any more: reported once.
    expect(events.filter((e) => e.type === 'session.error').map((e) => (e.error as { type: string }).type)).toEqual(['mcp_connection_failed_error']);

    // Down at the start of a turn: reported once, the turn goes on without its tools.
    fake.script([expecting(reply(text('Still down.')), (r) => {
        expect(toolNames(r.body)).toEqual([]);
      })]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('And now?')] });
    events = await waitForIdle(t.client, s.id, 2, 30_000);
    expect(events.filter((e) => e.type === 'session.error').map((e) => (e.error as { type: string }).type)).toEqual(['mcp_connection_failed_error', 'mcp_connection_failed_error']);

    await mcp.start();
    fake.script([reply(toolUse('lookup_weather', { city: 'Faro' })), reply(text('Back.'))]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Faro?')] });
    events = await waitForIdle(t.client, s.id, 3, 30_000);
    expect(events.filter((e) => e.type === 'agent.mcp_tool_result').at(-1)).toMatchObject({ is_error: false });
  });

  it('under limited environment networking an MCP host needs allow_mcp_servers or allowed_hosts', async () => {
    const { vault } = await bearerVault();
    const limited = (extra: Record<string, unknown>) =>
      t.client.beta.environments.create({ name: `limited-${Object.keys(extra).join('-') || 'none'}-${Date.now()}`, config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['api.example.com'], ...extra } } } as never);
    const agent = await t.client.beta.agents.create({
      name: 'limited', model: 'claude-sonnet-4-6',
      mcp_servers: [{ type: 'url', name: 'weather', url }],
      tools: [{ type: 'mcp_toolset', mcp_server_name: 'weather', ...allow }],
    } as never);
    fake.script([
      expecting(reply(text('Blocked.')), (r) => {
        expect(toolNames(r.body)).toEqual([]);
      }),
      expecting(reply(text('Reachable.')), (r) => {
        expect(toolNames(r.body)).toContain('lookup_weather');
      }),
    ]);
    const blocked = await t.client.beta.sessions.create({ agent: agent.id, environment_id: (await limited({})).id, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    await t.client.beta.sessions.events.send(blocked.id, { events: [userMessage('Weather?')] });
    const error = (await waitForIdle(t.client, blocked.id)).find((e) => e.type === 'session.error')!;
    expect((error.error as { message: string }).message).toMatch(/limited networking; set networking.allow_mcp_servers to true or list 127.0.0.1 in allowed_hosts/);
    const allowed = await t.client.beta.sessions.create({ agent: agent.id, environment_id: (await limited({ allow_mcp_servers: true })).id, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    await t.client.beta.sessions.events.send(allowed.id, { events: [userMessage('Weather?')] });
    expect((await waitForIdle(t.client, allowed.id)).some((e) => e.type === 'session.error')).toBe(false);
  });

  it('an MCP server on a private address needs VAULT_ALLOWED_PRIVATE_HOSTS', async () => {
    fake.script([expecting(reply(text('Refused.')), (r) => {
        expect(toolNames(r.body)).toEqual([]);
      })]);
    // 127.0.0.2 is loopback too, but only 127.0.0.1 is in the allow-list.
    const s = await mcpSession({ toolset: allow, serverUrl: url.replace('127.0.0.1', '127.0.0.2') });
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Weather?')] });
    const events = await waitForIdle(t.client, s.id);
    const error = events.find((e) => e.type === 'session.error')!;
    expect(error.error).toMatchObject({ type: 'mcp_connection_failed_error', mcp_server_name: 'weather' });
    expect((error.error as { message: string }).message).toMatch(/VAULT_ALLOWED_PRIVATE_HOSTS/);
  });
});

void listEvents;
