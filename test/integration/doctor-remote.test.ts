/**
 * `oma doctor` with a remote sandbox provider: it asks the provider's API (a read-only listing,
 * here the loopback E2B and Daytona fakes) whether the configured key works, and says whether
 * sandboxes can reach the vault proxy (VAULT_PROXY_PUBLIC_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { cliEnv, runOma } from '../support/oma-cli.ts';
import { FakeE2b } from '../support/fake-remote/fake-e2b.ts';
import { FakeDaytona } from '../support/fake-remote/fake-daytona.ts';

describe.each(BACKENDS)('oma doctor with remote sandboxes (%s)', (backend) => {
  let db: TestDatabase;
  const e2b = new FakeE2b();
  const daytona = new FakeDaytona();
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await e2b.start();
    await daytona.start();
  });
  afterAll(async () => {
    await e2b.close();
    await daytona.close();
    await db?.drop();
  });

  it('reports the e2b provider answering with its key, and the egress warning', async () => {
    const r = await runOma(['doctor'], cliEnv(db, { SANDBOX_PROVIDER: 'e2b', E2B_API_KEY: e2b.apiKey, E2B_API_URL: e2b.url, E2B_SANDBOX_URL: e2b.url }));
    expect(r.stdout).toMatch(/^ok {3}sandbox: SANDBOX_PROVIDER=e2b: the API answers with the configured key/m);
    expect(r.stdout).toMatch(/^WARN sandbox egress: VAULT_PROXY_PUBLIC_URL is not set/m);
    const withProxy = await runOma(['doctor'], cliEnv(db, { SANDBOX_PROVIDER: 'e2b', E2B_API_KEY: e2b.apiKey, E2B_API_URL: e2b.url, VAULT_PROXY_PUBLIC_URL: 'http://203.0.113.7:8788' }));
    expect(withProxy.stdout).toMatch(/^ok {3}sandbox egress: sandboxes reach the vault proxy at 203\.0\.113\.7:8788/m);
  }, 120_000);

  it('fails on a wrong or missing key with the provider\'s message and what to do', async () => {
    const wrong = await runOma(['doctor'], cliEnv(db, { SANDBOX_PROVIDER: 'daytona', DAYTONA_API_KEY: 'dtn_wrong', DAYTONA_API_URL: daytona.options.apiUrl }));
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^FAIL sandbox: SANDBOX_PROVIDER=daytona: Daytona: Invalid API key/m);
    expect(wrong.stdout).toContain('→ set a valid DAYTONA_API_KEY');
    const ok = await runOma(['doctor'], cliEnv(db, { SANDBOX_PROVIDER: 'daytona', DAYTONA_API_KEY: daytona.apiKey, DAYTONA_API_URL: daytona.options.apiUrl }));
    expect(ok.stdout).toMatch(/^ok {3}sandbox: SANDBOX_PROVIDER=daytona: the API answers/m);
    const missing = await runOma(['doctor'], cliEnv(db, { SANDBOX_PROVIDER: 'e2b' }));
    expect(missing.stdout).toMatch(/^FAIL sandbox: SANDBOX_PROVIDER=e2b: E2B_API_KEY is not set/m);
  }, 120_000);
});
