/**
 * Two refreshers of one mcp_oauth credential at once (two instances, or the server and the vault
 * sidecar: each its own OAuthRefresher over the same database) send the same single-use refresh
 * token. The token endpoint rotates on the first and refuses the second (invalid_grant); the
 * second caller must use the token the first stored, not fail and announce refresh_failed.
 * A real loopback token endpoint holds the refused answer until the first refresh is stored.
 * And a refresh whose grant comes back after the user updated the credential must not overwrite
 * the user's tokens with the ones it got (the write is a compare-and-swap on what it read).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { raw } from '../support/http.ts';
import { OAuthRefresher } from '../../src/vault/oauth-refresh.ts';
import { VaultHttp } from '../../src/vault/vault-http.ts';
import { EgressPolicy } from '../../src/vault/egress-policy.ts';

describe.each(BACKENDS)('concurrent OAuth refreshes of one credential (%s)', (backend) => {
  let t: TestServer;
  let tokenServer: Server;
  let tokenUrl: string;
  let validRefresh = 'r0';
  let issued = 0;
  const held: ServerResponse[] = [];
  /** While set, granted answers wait for it (counted in grantsHeld). */
  let grantGate: Promise<void> | undefined;
  let grantsHeld = 0;

  beforeAll(async () => {
    tokenServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        if (form.get('refresh_token') === validRefresh) {
          issued++;
          validRefresh = `r${issued}`;
          const body = JSON.stringify({ access_token: `a${issued}`, refresh_token: validRefresh, expires_in: 3600 });
          const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(body);
          if (!grantGate) return void answer();
          grantsHeld++;
          void grantGate.then(answer);
          return;
        }
        held.push(res); // invalid_grant, answered when the test says so
      });
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
    t = await startTestServer(backend, { env: { VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '60000' } });
  });
  afterAll(async () => {
    await t?.stop();
    tokenServer?.closeAllConnections();
    await new Promise<void>((resolve) => (tokenServer ? tokenServer.close(() => resolve()) : resolve()));
  });

  it('the refresher that loses the race uses the token the winner stored; nothing is announced as failed', async () => {
    const hook = await raw(t.baseURL, 'POST', '/v1/webhooks', { apiKey: t.apiKey, body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', event_types: ['vault_credential.refresh_failed'] }) });
    expect(hook.status, hook.text).toBe(200);
    const vault = await t.client.beta.vaults.create({ display_name: 'race' });
    const credential = await t.client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'mcp_oauth', access_token: 'a0', mcp_server_url: 'https://mcp.example.com/mcp', refresh: { client_id: 'c', refresh_token: 'r0', token_endpoint: tokenUrl, token_endpoint_auth: { type: 'none' } } },
    } as any);
    const { store, secretBox } = t.server.services;
    const row = await store.db.selectFrom('vault_credentials').selectAll().where('id', '=', credential.id).executeTakeFirstOrThrow();
    const other = new OAuthRefresher({ store, secretBox, http: new VaultHttp({ policy: new EgressPolicy(['127.0.0.1']) }) });

    const here = t.server.services.oauthRefresher.refresh(row);
    const there = other.refresh(row);
    await expect.poll(() => held.length).toBe(1);
    // The winner has stored its tokens before the loser hears invalid_grant.
    expect(await Promise.race([here, there])).toEqual({ status: 'succeeded', accessToken: 'a1' });
    for (const res of held) res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
    expect(await Promise.all([here, there])).toEqual([{ status: 'succeeded', accessToken: 'a1' }, { status: 'succeeded', accessToken: 'a1' }]);
    expect(issued).toBe(1);
    const announced = await store.db.selectFrom('webhook_events').select('id').where('type', '=', 'vault_credential.refresh_failed').execute();
    expect(announced).toEqual([]);
  });

  it('a refresh that finishes after a user update of the credential leaves the user\'s tokens stored and uses them', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'cas' });
    const credential = await t.client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'mcp_oauth', access_token: 'old', mcp_server_url: 'https://mcp.example.com/cas', refresh: { client_id: 'c', refresh_token: validRefresh, token_endpoint: tokenUrl, token_endpoint_auth: { type: 'none' } } },
    } as any);
    const { store } = t.server.services;
    const refresher = t.server.services.oauthRefresher;
    const readRow = () => store.db.selectFrom('vault_credentials').selectAll().where('id', '=', credential.id).executeTakeFirstOrThrow();
    let release!: () => void;
    grantGate = new Promise<void>((resolve) => (release = resolve));
    const refreshing = refresher.refresh(await readRow());
    await expect.poll(() => grantsHeld).toBe(1);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await t.client.beta.vaults.credentials.update(credential.id, { vault_id: vault.id, auth: { type: 'mcp_oauth', access_token: 'user-token', expires_at: expiresAt, refresh: { refresh_token: 'user-refresh' } } } as any);
    release();
    grantGate = undefined;
    expect(await refreshing).toEqual({ status: 'succeeded', accessToken: 'user-token' });
    const { auth, secret } = refresher.open(await readRow());
    expect({ access: secret.access_token, refresh: secret.refresh_token, expires: auth.expires_at }).toEqual({ access: 'user-token', refresh: 'user-refresh', expires: expiresAt });
  });
});
