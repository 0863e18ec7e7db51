import type Anthropic from '@anthropic-ai/sdk';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLocal, generateCACertificate, type Mockttp } from 'mockttp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase } from '../support/backends.ts';
import { freePort } from '../support/child-process.ts';
import { cliEnv } from '../support/oma-cli.ts';
import { BWRAP_UNAVAILABLE, startSandboxTestServer } from '../support/sandbox-providers.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, reply, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'ghp_vault_egress_secret_0001';
const ENV_SECRET = 'sk_env_value_secret_0002';

interface Upstream {
  server: Mockttp;
  port: number;
  seen: { path: string; authorization?: string; apiKey?: string; body: string; protocol: string }[];
}

/** A loopback HTTPS (and HTTP) server that records what it receives; its certificates come from `ca`. */
async function startUpstream(ca: { key: string; cert: string }): Promise<Upstream> {
  const server = getLocal({ https: ca });
  const seen: Upstream['seen'] = [];
  await server.forAnyRequest().thenCallback(async (req) => {
    seen.push({ path: req.path, authorization: req.headers.authorization as string | undefined, apiKey: req.headers['x-api-key'] as string | undefined, body: (await req.body.getText()) ?? '', protocol: req.protocol });
    if (req.path === '/oauth/token') return { statusCode: 200, json: { access_token: 'oauth_fresh_access_0003', refresh_token: 'oauth_rotated_refresh_0004', expires_in: 3600 } };
    return { statusCode: 200, body: `upstream-ok ${req.path}` };
  });
  await server.start();
  return { server, port: server.port, seen };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const stat = statSync(join(dir, name));
    return stat.isDirectory() ? filesUnder(join(dir, name)) : stat.isFile() ? [join(dir, name)] : [];
  });
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('curl', ['-sS', '--max-time', '20', ...args], (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)));
}

const resultText = (e: WireEvent) => ((e.content as { text?: string }[]) ?? []).map((b) => b.text ?? '').join('');

describe.each(BACKENDS)('oma-vault egress proxy, embedded (%s)', (backend) => {
  let fake: FakeModel;
  let t: TestServer;
  let up: Upstream;
  let other: Upstream;
  let work: string;
  let agentId: string;

  /** Runs `command` with the session's bash tool (through the harness and the fake model); returns the tool result. */
  async function inSandbox(sessionId: string, command: string, client: Anthropic = t.client): Promise<string> {
    fake.script([reply(toolUse('bash', { command })), reply(text('done'))]);
    const before = (await waitForIdle(client, sessionId, 0)).filter((e) => e.type === 'session.status_idle').length;
    await client.beta.sessions.events.send(sessionId, { events: [userMessage('go')] });
    const events = await waitForIdle(client, sessionId, before + 1, 60_000);
    return resultText(events.filter((e) => e.type === 'agent.tool_result').at(-1)!);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'oma-egress-'));
    const ca = await generateCACertificate({ subject: { commonName: 'test upstream CA' } });
    writeFileSync(join(work, 'upstream-ca.pem'), ca.cert);
    up = await startUpstream(ca);
    other = await startUpstream(ca);
    fake = await startFakeModel();
    t = await startTestServer(backend, {
      captureLogs: true,
      env: { LOG_LEVEL: 'debug', ANTHROPIC_BASE_URL: fake.url, VAULT_UPSTREAM_CA_FILE: join(work, 'upstream-ca.pem'), VAULT_ALLOWED_PRIVATE_HOSTS: 'localhost' },
    });
    agentId = (await t.client.beta.agents.create({ name: 'egress', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] })).id;
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await up?.server.stop();
    await other?.server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('injects the bound credential for a matching https URL only, replacing the sandbox\'s own header; env shows no secret', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'egress' });
    await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: `https://localhost:${up.port}/api` } });
    await t.client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'environment_variable', secret_name: 'UPSTREAM_KEY', secret_value: ENV_SECRET, networking: { type: 'limited', allowed_hosts: ['localhost'] }, injection_location: { header: true, body: true } },
    });
    const session = await t.client.beta.sessions.create({ agent: agentId, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    const out = await inSandbox(session.id, [
      `curl -sS -H 'Authorization: Bearer sandbox-own' -H "x-api-key: $UPSTREAM_KEY" https://localhost:${up.port}/api/repos; echo`,
      `curl -sS -X POST --data "key=$UPSTREAM_KEY" https://localhost:${up.port}/other; echo`,
      `curl -sS http://localhost:${up.port}/api/plain; echo`,
      `curl -sS https://localhost:${other.port}/api/port; echo`,
      'env',
    ].join('; '));
    expect(out).toContain('upstream-ok /api/repos');
    expect(out).toContain('upstream-ok /other');
    expect(out).toContain('upstream-ok /api/plain');
    expect(out).toContain('upstream-ok /api/port');
    const byPath = (u: Upstream, path: string) => u.seen.find((s) => s.path === path)!;
    expect(byPath(up, '/api/repos')).toMatchObject({ authorization: `Bearer ${TOKEN}`, apiKey: ENV_SECRET, protocol: 'https' });
    expect(byPath(up, '/other').authorization).toBeUndefined();
    expect(byPath(up, '/other').body).toBe(`key=${ENV_SECRET}`);
    expect(byPath(up, '/api/plain')).toMatchObject({ protocol: 'http' });
    expect(byPath(up, '/api/plain').authorization).toBeUndefined();
    expect(byPath(other, '/api/port').authorization).toBeUndefined();
    // The sandbox's environment: the proxy (with its token) and the CA, a placeholder, never a secret.
    expect(out).toMatch(/HTTPS_PROXY=http:\/\/metadata:/);
    expect(out).toMatch(/CURL_CA_BUNDLE=\S+ca\.pem/);
    expect(out).toMatch(/UPSTREAM_KEY=oma-vault-placeholder-vcrd_/);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(ENV_SECRET);
    expect(out).not.toMatch(/NO_PROXY/i);

    // Archiving the credential takes effect on the next request.
    const cred = (await t.client.beta.vaults.credentials.list(vault.id)).data.find((c) => c.auth.type === 'static_bearer')!;
    await t.client.beta.vaults.credentials.archive(cred.id, { vault_id: vault.id });
    await inSandbox(session.id, `curl -sS https://localhost:${up.port}/api/after-archive`);
    expect(byPath(up, '/api/after-archive').authorization).toBeUndefined();
    await t.client.beta.vaults.delete(vault.id);
    await inSandbox(session.id, `curl -sS -H "x-api-key: $UPSTREAM_KEY" https://localhost:${up.port}/api/after-delete`);
    expect(byPath(up, '/api/after-delete').apiKey).toMatch(/^oma-vault-placeholder-/);
  });

  it('gives nothing to an unbound session or another tenant\'s session, and refuses an unlisted private address', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'not bound' });
    await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: `https://localhost:${up.port}/` } });
    const unbound = await t.client.beta.sessions.create({ agent: agentId } as Anthropic.Beta.Sessions.SessionCreateParams);
    const out = await inSandbox(
      unbound.id,
      `curl -sS https://localhost:${up.port}/unbound; echo; curl -sS -w ' connect=%{http_connect}' https://127.0.0.1:${up.port}/private; echo; curl -sS -w ' status=%{http_code}' http://127.0.0.1:${up.port}/private-http`,
    );
    expect(up.seen.find((s) => s.path === '/unbound')!.authorization).toBeUndefined();
    expect(out).toMatch(/connect=403/);
    expect(out).toMatch(/oma-vault: Refused to connect to 127\.0\.0\.1: it resolves to 127\.0\.0\.1 is a loopback address[^\n]*\n status=403/);
    expect(up.seen.some((s) => s.path.startsWith('/private'))).toBe(false);

    const b = await t.clientForTenant('tenant_egress_b');
    const bAgent = await b.beta.agents.create({ name: 'b', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const bVault = await b.beta.vaults.create({ display_name: 'b' });
    const bSession = await b.beta.sessions.create({ agent: bAgent.id, vault_ids: [bVault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    await inSandbox(bSession.id, `curl -sS https://localhost:${up.port}/tenant-b`, b);
    expect(up.seen.find((s) => s.path === '/tenant-b')!.authorization).toBeUndefined();
  });

  it('refreshes an expired mcp_oauth access token before injecting it, and stores the rotated tokens', async () => {
    const vault = await t.client.beta.vaults.create({ display_name: 'oauth' });
    const cred = await t.client.beta.vaults.credentials.create(vault.id, {
      auth: {
        type: 'mcp_oauth', access_token: 'oauth_stale_access_0001', mcp_server_url: `https://localhost:${up.port}/mcp`,
        // In the future, but inside the refresh margin: treated as expired.
        expires_at: new Date(Date.now() + 5_000).toISOString(),
        refresh: { client_id: 'client-9', refresh_token: 'oauth_refresh_0002', token_endpoint: `https://localhost:${up.port}/oauth/token`, token_endpoint_auth: { type: 'client_secret_post', client_secret: 'oauth_client_secret_0005' } },
      },
    });
    const session = await t.client.beta.sessions.create({ agent: agentId, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    await inSandbox(session.id, `curl -sS https://localhost:${up.port}/mcp/tools`);
    expect(up.seen.find((s) => s.path === '/mcp/tools')!.authorization).toBe('Bearer oauth_fresh_access_0003');
    const form = new URLSearchParams(up.seen.find((s) => s.path === '/oauth/token')!.body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', refresh_token: 'oauth_refresh_0002', client_id: 'client-9', client_secret: 'oauth_client_secret_0005' });
    const after = await t.client.beta.vaults.credentials.retrieve(cred.id, { vault_id: vault.id });
    expect(Date.parse((after.auth as { expires_at: string }).expires_at)).toBeGreaterThan(Date.now() + 3_000_000);
    const row = await t.server.services.store.db.selectFrom('vault_credentials').selectAll().where('id', '=', cred.id).executeTakeFirstOrThrow();
    expect(t.server.services.vaults.openSplit(row).secret).toMatchObject({ access_token: 'oauth_fresh_access_0003', refresh_token: 'oauth_rotated_refresh_0004' });
    expect(JSON.stringify(after)).not.toMatch(/oauth_(fresh|rotated|stale|refresh|client)/);
  });

  it('answers 407 to a missing or wrong proxy token; audits every decision without secrets', async () => {
    const ca = join(t.config.dataDir, 'vault-ca', 'ca.pem');
    const proxyPort = Number(/vault egress proxy embedded on [^:]+:(\d+)/.exec(t.logLines.join('\n'))![1]);
    const wrong = Buffer.from(JSON.stringify({ tags: ['oma-token:sesn_forged.AAAA'] })).toString('base64url');
    const forged = await curl(['-w', ' connect=%{http_connect}', '--cacert', ca, '-x', `http://metadata:${wrong}@127.0.0.1:${proxyPort}`, `https://localhost:${up.port}/forged`]);
    const missing = await curl(['-w', ' connect=%{http_connect}', '--cacert', ca, '-x', `http://127.0.0.1:${proxyPort}`, `https://localhost:${up.port}/missing`]);
    expect(forged).toMatch(/connect=407/);
    expect(missing).toMatch(/connect=407/);
    // Plain HTTP through the proxy without a token: 407 from the proxy itself.
    expect(await curl(['-w', ' status=%{http_code}', '-x', `http://127.0.0.1:${proxyPort}`, `http://localhost:${up.port}/plain-missing`])).toMatch(/proxy authentication required[\s\S]*status=407/);
    expect(up.seen.some((s) => s.path === '/forged' || s.path === '/missing')).toBe(false);

    const audit = readFileSync(t.config.vault.auditLogPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.some((e) => e.decision === 'inject' && e.path === '/api/repos' && e.credential_ids.length === 2)).toBe(true);
    expect(audit.some((e) => e.decision === 'deny' && e.status === 407)).toBe(true);
    expect(audit.some((e) => e.decision === 'deny' && e.status === 403 && e.host === '127.0.0.1')).toBe(true);
    expect(audit.some((e) => e.decision === 'allow' && e.path === '/unbound')).toBe(true);
    expect(t.logLines.some((l) => l.includes('vault_audit'))).toBe(true);
    expect((statSync(t.config.vault.auditLogPath).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(t.config.dataDir, 'vault-ca', 'ca-key.pem')).mode & 0o777).toString(8)).toBe('600');
    const everything = [t.logLines.join('\n'), ...filesUnder(t.config.dataDir).map((f) => readFileSync(f).toString('latin1'))].join('\n');
    for (const secret of [TOKEN, ENV_SECRET, 'oauth_fresh_access_0003', 'oauth_rotated_refresh_0004', 'oauth_client_secret_0005']) expect(everything).not.toContain(secret);
  });
});

/** Starts `npm run vault` (the sidecar entry) on `env`; resolves once it listens, or with its exit. */
function startSidecar(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/vault/sidecar-main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sidecar did not start: ${output}`)), 60_000);
    const check = () => {
      if (output.includes('oma-vault listening')) {
        clearTimeout(timer);
        resolve({ child, output: () => output, exited });
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve({ child, output: () => output, exited });
    });
  });
}

describe.each(BACKENDS)('oma-vault as a sidecar (%s)', (backend) => {
  let fake: FakeModel;
  let t: TestServer;
  let up: Upstream;
  let work: string;
  let sidecarPort: number;
  let sidecar: Awaited<ReturnType<typeof startSidecar>> | undefined;
  let vaultEnv: Record<string, string>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'oma-sidecar-'));
    const ca = await generateCACertificate({ subject: { commonName: 'test upstream CA' } });
    writeFileSync(join(work, 'upstream-ca.pem'), ca.cert);
    up = await startUpstream(ca);
    fake = await startFakeModel();
    sidecarPort = await freePort();
    vaultEnv = { VAULT_UPSTREAM_CA_FILE: join(work, 'upstream-ca.pem'), VAULT_ALLOWED_PRIVATE_HOSTS: 'localhost' };
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url, VAULT_PROXY_URL: `http://127.0.0.1:${sidecarPort}`, ...vaultEnv } });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    sidecar?.child.kill('SIGTERM');
    await sidecar?.exited;
    await t?.stop();
    await fake?.close();
    await up?.server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses to start on another database than the server\'s, saying how to fix it', async () => {
    const elsewhere = await createTestDatabase(backend);
    try {
      const env = { ...cliEnv(elsewhere, vaultEnv), DATA_DIR: t.db.dataDir, VAULT_PROXY_PORT: String(sidecarPort) };
      const wrong = await startSidecar(env);
      expect(await wrong.exited).toBe(3);
      expect(wrong.output()).toMatch(/same DATABASE_URL|DATABASE_PATH/);
      expect(wrong.output()).not.toContain('oma-vault listening');
      // A database another server uses (it has an identity, just not this DATA_DIR's server's).
      const another = await startTestServer(backend);
      try {
        await another.stopServer();
        const mismatched = await startSidecar({ ...cliEnv(another.db, vaultEnv), DATA_DIR: t.db.dataDir, VAULT_PROXY_PORT: String(sidecarPort) });
        expect(await mismatched.exited).toBe(3);
        expect(mismatched.output()).toMatch(/is database db_\w+, but the oma-server of DATA_DIR .* uses database db_\w+\. Give oma-vault the same DATABASE_URL/);
      } finally {
        await another.stop();
      }
    } finally {
      await elsewhere.drop();
    }
  });

  it('falls back to the embedded proxy while the configured sidecar is down', async () => {
    const agent = await t.client.beta.agents.create({ name: 'fallback', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const vault = await t.client.beta.vaults.create({ display_name: 'fallback' });
    await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: `https://localhost:${up.port}` } });
    const session = await t.client.beta.sessions.create({ agent: agent.id, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    fake.script([reply(toolUse('bash', { command: `curl -sS https://localhost:${up.port}/fallback; echo; echo "$HTTPS_PROXY" | sed 's/.*@//'` })), reply(text('done'))]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('go')] });
    const out = resultText((await waitForIdle(t.client, session.id, 1, 60_000)).find((e) => e.type === 'agent.tool_result')!);
    expect(out).toContain('upstream-ok /fallback');
    expect(out).not.toContain(`127.0.0.1:${sidecarPort}`);
    expect(up.seen.find((s) => s.path === '/fallback')!.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('injects credentials for the server\'s sessions from its own process', async () => {
    sidecar = await startSidecar({ ...cliEnv(t.db, vaultEnv), VAULT_PROXY_PORT: String(sidecarPort), LOG_LEVEL: 'info' });
    expect(sidecar.output()).toContain('oma-vault listening');
    const agent = await t.client.beta.agents.create({ name: 'sidecar', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const vault = await t.client.beta.vaults.create({ display_name: 'sidecar' });
    await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: `https://localhost:${up.port}` } });
    const session = await t.client.beta.sessions.create({ agent: agent.id, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    fake.script([reply(toolUse('bash', { command: `curl -sS https://localhost:${up.port}/via-sidecar; echo; echo "$HTTPS_PROXY" | sed 's/.*@//'` })), reply(text('done'))]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('go')] });
    const events = await waitForIdle(t.client, session.id, 1, 60_000);
    const out = resultText(events.find((e) => e.type === 'agent.tool_result')!);
    expect(out).toContain('upstream-ok /via-sidecar');
    expect(out).toContain(`127.0.0.1:${sidecarPort}`);
    expect(up.seen.find((s) => s.path === '/via-sidecar')!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sidecar.output()).not.toContain(TOKEN);
  });
});

describe.skipIf(BWRAP_UNAVAILABLE !== undefined).each(BACKENDS)('oma-vault under bwrap: the proxy is the only way out (%s)', (backend) => {
  let fake: FakeModel;
  let t: TestServer;
  let up: Upstream;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'oma-bwrap-egress-'));
    const ca = await generateCACertificate({ subject: { commonName: 'test upstream CA' } });
    writeFileSync(join(work, 'upstream-ca.pem'), ca.cert);
    up = await startUpstream(ca);
    fake = await startFakeModel();
    t = await startSandboxTestServer(backend, 'bwrap', {
      env: { ANTHROPIC_BASE_URL: fake.url, VAULT_UPSTREAM_CA_FILE: join(work, 'upstream-ca.pem'), VAULT_ALLOWED_PRIVATE_HOSTS: 'localhost' },
    });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await up?.server.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('reaches the upstream with the injected header through the proxy, and nothing directly', async () => {
    const agent = await t.client.beta.agents.create({ name: 'bwrap-egress', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const vault = await t.client.beta.vaults.create({ display_name: 'bwrap' });
    await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: `https://localhost:${up.port}` } });
    const session = await t.client.beta.sessions.create({ agent: agent.id, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    const command = [
      `curl -sS https://localhost:${up.port}/bwrap; echo`,
      `curl -sS --noproxy '*' --max-time 5 https://localhost:${up.port}/direct >/dev/null 2>&1; echo "direct=$?"`,
      `curl -sS --noproxy '*' --max-time 5 http://10.0.2.2/ >/dev/null 2>&1; echo "gateway=$?"`,
      'env | grep -c ghp_ || true',
    ].join('; ');
    fake.script([reply(toolUse('bash', { command })), reply(text('done'))]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('go')] });
    const out = resultText((await waitForIdle(t.client, session.id, 1, 60_000)).find((e) => e.type === 'agent.tool_result')!);
    expect(out).toContain('upstream-ok /bwrap');
    expect(up.seen.find((s) => s.path === '/bwrap')!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(out).toMatch(/direct=[1-9]/);
    expect(out).toMatch(/gateway=[1-9]/);
    expect(up.seen.some((s) => s.path === '/direct')).toBe(false);
    expect(out).not.toContain(TOKEN);
  });
});
