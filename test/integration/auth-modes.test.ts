/**
 * The auth modes of the seed beyond the default: the email OTP gate (codes read from a loopback
 * SMTP server, and from the log when no SMTP is set), Google OAuth configuration, AUTH_DISABLED,
 * the headless key command, and secrets never showing up in responses or logs.
 */
import Anthropic from '@anthropic-ai/sdk';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw, type RawResponse } from '../support/http.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.ts';
import { waitFor } from '../support/wait-for.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';

const PASSWORD = 'correct horse battery';
const MODEL = 'claude-sonnet-4-6';
const run = promisify(execFile);

function codeIn(text: string): string {
  const match = /verification code is (\d{6})/.exec(text);
  if (!match) throw new Error(`no code in: ${text.slice(0, 300)}`);
  return match[1]!;
}

describe.each(BACKENDS)('AUTH_REQUIRE_EMAIL_VERIFY=1 with SMTP (%s)', (backend) => {
  let smtp: FakeSmtp;
  let t: TestServer;
  beforeAll(async () => {
    smtp = await startFakeSmtp();
    t = await startTestServer(backend, { env: { AUTH_REQUIRE_EMAIL_VERIFY: '1', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_FROM: 'oma@example.com' } });
  });
  afterAll(async () => {
    await t?.stop();
    await smtp?.close();
  });

  it('/auth-info announces the OTP gate', async () => {
    expect((await raw(t.baseURL, 'GET', '/auth-info', { apiKey: null })).json.methods).toEqual({ email_password: true, email_otp_verification: true, google: false });
  });

  it('sign-up sends a code by email and signs in only after the code is given', async () => {
    const user = new ConsoleClient(t.baseURL);
    const signUp = await user.signUp('olga@example.com', PASSWORD);
    expect(signUp.status, signUp.text).toBe(200);
    expect(user.hasSession()).toBe(false);
    expectError(await user.request('GET', '/v1/me'), 401, 'authentication_error');
    const mail = await smtp.waitForMessage('olga@example.com');
    expect(mail.from).toBe('oma@example.com');
    const code = codeIn(mail.data);

    // Signing in before verifying is refused.
    const early = await user.signIn('olga@example.com', PASSWORD);
    expect(early.status).toBe(403);
    expect(user.hasSession()).toBe(false);

    // A wrong code is refused; the right one signs in.
    const wrong = await user.request('POST', '/api/auth/email-otp/verify-email', { email: 'olga@example.com', otp: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(user.hasSession()).toBe(false);
    const verified = await user.request('POST', '/api/auth/email-otp/verify-email', { email: 'olga@example.com', otp: code });
    expect(verified.status, verified.text).toBe(200);
    expect(user.hasSession()).toBe(true);
    const me = await user.request('GET', '/v1/me');
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ user: { email: 'olga@example.com' }, tenant: { role: 'owner' } });

    // From now on the password alone is enough.
    const later = new ConsoleClient(t.baseURL);
    expect((await later.signIn('olga@example.com', PASSWORD)).status).toBe(200);
    expect(later.hasSession()).toBe(true);
  });
});

// A server of its own (vitest's NODE_ENV=test makes better-auth skip its origin checks in-process):
// a browser's sign-up from the server's own page carries an Origin, and the code must still go out
// (the background send after sign-up was refused with "Invalid origin" when PUBLIC_URL is unset).
describe.each(BACKENDS)('AUTH_REQUIRE_EMAIL_VERIFY=1 in a server process, sign-up from the browser (%s)', (backend) => {
  let smtp: FakeSmtp;
  let db: TestDatabase;
  let server: ChildServer;
  beforeAll(async () => {
    smtp = await startFakeSmtp();
    db = await createTestDatabase(backend);
    server = await startChildServer(db, { env: { AUTH_DISABLED: '0', AUTH_REQUIRE_EMAIL_VERIFY: '1', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_FROM: 'oma@example.com' }, readyTimeoutMs: 60_000 });
  });
  afterAll(async () => {
    await server?.kill();
    await smtp?.close();
    await db?.drop();
  });

  it('sends the code of a sign-up made with the page\'s own Origin, and the code signs the user in', async () => {
    const user = new ConsoleClient(server.baseURL);
    const signUp = await user.signUp('petra@example.com', PASSWORD);
    expect(signUp.status, signUp.text).toBe(200);
    const mail = await smtp.waitForMessage('petra@example.com');
    const verified = await user.request('POST', '/api/auth/email-otp/verify-email', { email: 'petra@example.com', otp: codeIn(mail.data) });
    expect(verified.status, verified.text).toBe(200);
    expect((await user.request('GET', '/v1/me')).status).toBe(200);
    expect(server.output()).not.toMatch(/Invalid origin/);
  });

  it('still refuses a sign-up from another site', async () => {
    const stranger = new ConsoleClient(server.baseURL);
    stranger.origin = 'http://attacker.example';
    expectError(await stranger.signUp('mallory@example.com', PASSWORD), 403, 'permission_error');
  });
});

describe('AUTH_REQUIRE_EMAIL_VERIFY=1 without SMTP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { env: { AUTH_REQUIRE_EMAIL_VERIFY: '1', LOG_LEVEL: 'info' }, captureLogs: true });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('writes the code to the server log with a warning, and the code works', async () => {
    const user = new ConsoleClient(t.baseURL);
    expect((await user.signUp('pia@example.com', PASSWORD)).status).toBe(200);
    const line = await waitFor(() => t.logLines.find((l) => l.includes('pia@example.com') && l.includes('verification code')));
    const entry = JSON.parse(line);
    expect(entry.level).toBe(40);
    expect(entry.msg).toMatch(/SMTP_HOST is not set/);
    const verified = await user.request('POST', '/api/auth/email-otp/verify-email', { email: 'pia@example.com', otp: codeIn(entry.msg) });
    expect(verified.status, verified.text).toBe(200);
    expect((await user.request('GET', '/v1/me')).status).toBe(200);
  });
});

describe('Google OAuth configuration', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { env: { GOOGLE_CLIENT_ID: 'test-client-id.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'test-google-secret' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('appears in /auth-info and starts a well-formed authorization redirect', async () => {
    expect((await raw(t.baseURL, 'GET', '/auth-info', { apiKey: null })).json.methods.google).toBe(true);
    const browser = new ConsoleClient(t.baseURL);
    const res = await browser.request('POST', '/api/auth/sign-in/social', { provider: 'google', callbackURL: '/' });
    expect(res.status, res.text).toBe(200);
    expect(res.json.redirect).toBe(true);
    const url = new URL(res.json.url);
    expect(url.origin).toBe('https://accounts.google.com');
    expect(url.searchParams.get('client_id')).toBe('test-client-id.apps.googleusercontent.com');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('redirect_uri')).toBe(`${t.baseURL}/api/auth/callback/google`);
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'email']));
    expect(url.searchParams.get('state')).toMatch(/.{16,}/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(res.text).not.toContain('test-google-secret');
  });

  it('is absent when not configured', async () => {
    const plain = await startTestServer('sqlite');
    try {
      expect((await raw(plain.baseURL, 'GET', '/auth-info', { apiKey: null })).json.methods.google).toBe(false);
      const res = await new ConsoleClient(plain.baseURL).request('POST', '/api/auth/sign-in/social', { provider: 'google', callbackURL: '/' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    } finally {
      await plain.stop();
    }
  });
});

describe.each(BACKENDS)('AUTH_DISABLED=1 (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { env: { AUTH_DISABLED: '1' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('every request acts as tenant "default" without credentials', async () => {
    expect((await raw(t.baseURL, 'GET', '/auth-info', { apiKey: null })).json.auth_disabled).toBe(true);
    const created = await raw(t.baseURL, 'POST', '/v1/agents', { apiKey: null, body: JSON.stringify({ name: 'open', model: MODEL }) });
    expect(created.status, created.text).toBe(200);
    const me = await raw(t.baseURL, 'GET', '/v1/me', { apiKey: null });
    expect(me.json).toMatchObject({ user: null, tenant: { id: 'default', role: 'owner' }, via: 'auth_disabled' });
    const row = await t.server.services.store.db.selectFrom('agents').select('tenant_id').where('id', '=', created.json.id).executeTakeFirstOrThrow();
    expect(row.tenant_id).toBe('default');
    // The SDK with any key lands in the same tenant.
    const sdk = new Anthropic({ apiKey: 'anything', baseURL: t.baseURL, maxRetries: 0 });
    expect((await sdk.beta.agents.retrieve(created.json.id)).name).toBe('open');
    // Minting a key works without a Console session (the single user is the owner).
    const key = await raw(t.baseURL, 'POST', '/v1/api_keys', { apiKey: null, body: '{}' });
    expect(key.status, key.text).toBe(200);
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null, headers: { 'x-oma-tenant': 'other' } }), 403, 'permission_error', /AUTH_DISABLED/);
  });
});

describe.each(BACKENDS)('npm run oma -- api-keys (%s)', (backend) => {
  let db: TestDatabase;
  let t: TestServer;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    t = await startTestServer(backend, { db });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  const oma = async (...args: string[]) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', DATA_DIR: db.dataDir, LOG_LEVEL: 'silent' };
    if (db.database.kind === 'postgres') env.DATABASE_URL = db.database.url;
    else env.DATABASE_PATH = db.database.path;
    return run(process.execPath, ['--import', 'tsx', 'src/cli/oma.ts', ...args], { env, cwd: process.cwd() });
  };

  it('mints a key for a headless server, lists it without the secret, and revokes it', async () => {
    const created = await oma('api-keys', 'create', '--tenant', 'default', '--name', 'ci');
    const key = JSON.parse(created.stdout);
    expect(key.key).toMatch(/^oma_/);
    expect(created.stderr).toMatch(/only time the key is shown/);
    const sdk = new Anthropic({ apiKey: key.key, baseURL: t.baseURL, maxRetries: 0 });
    expect((await sdk.beta.agents.list()).data).toEqual([]);
    const listed = await oma('api-keys', 'list', '--tenant', 'default');
    expect(JSON.parse(listed.stdout).map((k: { id: string }) => k.id)).toEqual([key.id]);
    expect(listed.stdout).not.toContain(key.key);
    await oma('api-keys', 'revoke', key.id);
    await expect(sdk.beta.agents.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(oma('api-keys', 'revoke', key.id)).rejects.toMatchObject({ code: 2 });
  });
});

describe.each(BACKENDS)('secrets never appear in responses or logs (%s)', (backend) => {
  const secrets = {
    BETTER_AUTH_SECRET: 'bas-0123456789abcdef0123456789abcdef',
    PLATFORM_ROOT_SECRET: 'prs-fedcba9876543210fedcba9876543210',
    ANTHROPIC_API_KEY: 'sk-ant-test-very-secret-model-key',
  };
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { env: { ...secrets, LOG_LEVEL: 'trace' }, captureLogs: true });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('through sign-up, sign-in, key mint and use, errors and the health/openapi documents', async () => {
    const responses: RawResponse[] = [];
    const keep = (r: RawResponse) => (responses.push(r), r);
    const user = new ConsoleClient(t.baseURL);
    const signUp = await user.signUp('sam@example.com', PASSWORD);
    const sessionToken: string = signUp.json.token;
    expect(sessionToken).toBeTruthy();
    keep(await user.signIn('sam@example.com', 'wrong password'));
    keep(await user.request('GET', '/v1/me'));
    const minted = await user.request('POST', '/v1/api_keys', { name: 'k' });
    const key: string = minted.json.key;
    keep(await raw(t.baseURL, 'POST', '/v1/agents', { apiKey: key, body: JSON.stringify({ name: 'a', model: MODEL }) }));
    keep(await raw(t.baseURL, 'POST', '/v1/agents', { apiKey: key, body: '{bad json' }));
    keep(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: `${key}x` }));
    keep(await raw(t.baseURL, 'GET', '/v1/api_keys', { apiKey: key }));
    keep(await raw(t.baseURL, 'GET', '/health', { apiKey: null }));
    keep(await raw(t.baseURL, 'GET', '/openapi.json', { apiKey: null }));
    keep(await raw(t.baseURL, 'GET', '/auth-info', { apiKey: null }));
    keep(await user.request('GET', '/api/auth/get-session'));

    const forbidden = [...Object.values(secrets), PASSWORD, key];
    for (const r of responses) {
      const all = `${JSON.stringify([...r.headers])}\n${r.text}`;
      for (const s of forbidden) expect(all.includes(s), `a response contains a secret: ${r.text.slice(0, 200)}`).toBe(false);
    }
    expect(t.logLines.length).toBeGreaterThan(5);
    const logs = t.logLines.join('');
    for (const s of [...forbidden, sessionToken]) expect(logs.includes(s), `the log contains ${s.slice(0, 6)}…`).toBe(false);
  });
});
