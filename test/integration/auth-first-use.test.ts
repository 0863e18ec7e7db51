/**
 * better-auth starts (its migrations included) at the first request that needs Console sign-in, not
 * at boot (src/auth/console-auth.ts). A start that fails must answer that request with a clear 503
 * naming the cause, never hang or 500, and the next request must try again: here the auth database
 * (AUTH_DATABASE_URL) is missing at boot and created while the server runs.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, PG_ADMIN_URL, createTestDatabase } from '../support/backends.ts';
import { expectError, raw } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe.skipIf(!BACKENDS.includes('postgres')).each(BACKENDS)('better-auth at first use (%s)', (backend) => {
  let t: TestServer | undefined;
  let authDatabase: string | undefined;
  afterEach(async () => {
    await t?.stop();
    if (authDatabase) await admin(`DROP DATABASE IF EXISTS ${authDatabase} WITH (FORCE)`);
  });

  it('boots without its database, answers 503 with the reason until it exists, then signs up', async () => {
    const auth = await createTestDatabase('postgres');
    const url = (auth.database as { url: string }).url;
    authDatabase = new URL(url).pathname.slice(1);
    await auth.drop();
    t = await startTestServer(backend, { env: { AUTH_DISABLED: '', AUTH_DATABASE_URL: url } });
    // The API does not need better-auth: a key works, and so does a request with no credentials at all (401).
    expect((await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: t.apiKey })).status).toBe(200);
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null }), 401, 'authentication_error');

    const failed = await raw(t.baseURL, 'GET', '/api/auth/ok', { apiKey: null });
    expectError(failed, 503, 'api_error', new RegExp(`Console sign-in is unavailable: better-auth could not start on postgres .*${authDatabase}.*does not exist`));
    // A cookie needs better-auth too: the same answer, not a 401 that would sign the user out.
    expectError(await raw(t.baseURL, 'GET', '/v1/agents', { apiKey: null, headers: { cookie: 'oma.session_token=x' } }), 503, 'api_error', /better-auth could not start/);

    await admin(`CREATE DATABASE ${authDatabase}`);
    expect((await raw(t.baseURL, 'GET', '/api/auth/ok', { apiKey: null })).status).toBe(200);
    const signUp = await raw(t.baseURL, 'POST', '/api/auth/sign-up/email', { apiKey: null, headers: { origin: t.baseURL }, body: JSON.stringify({ email: 'first@example.com', password: 'correct horse', name: 'First' }) });
    expect(signUp.status, signUp.text).toBe(200);
  }, 60_000);
});
