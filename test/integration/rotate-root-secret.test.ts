import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { BACKENDS, createTestDatabase } from '../support/backends.ts';
import { startTestServer } from '../support/server.ts';
import { cliEnv, runOma } from '../support/oma-cli.ts';
import { RootSecretMismatchError } from '../../src/vault/root-secret-check.ts';

describe.each(BACKENDS)('rotate-root-secret (%s)', (backend) => {
  it('re-encrypts every sealed column in one go: rows open under the new secret, the old secret is refused at boot', async () => {
    const db = await createTestDatabase(backend);
    try {
      // The first boot generates DATA_DIR/.platform-root-secret (no PLATFORM_ROOT_SECRET in the environment).
      let t = await startTestServer(backend, { db });
      const oldSecret = readFileSync(join(db.dataDir, '.platform-root-secret'), 'utf8').trim();
      const vault = await t.client.beta.vaults.create({ display_name: 'rotating' });
      const cred = await t.client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: 'tok-before-rotation', mcp_server_url: 'https://api.example.com' } });
      const card = await fetch(`${t.baseURL}/v1/model_cards`, {
        method: 'POST', headers: { 'x-api-key': t.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'rotating-card', provider: 'anthropic', base_url: 'https://api.anthropic.com', api_key: 'sk-card-before-rotation', models: ['m-rot'] }),
      });
      expect(card.status).toBe(200);
      const sealedBefore = await t.server.services.store.db.selectFrom('vault_credentials').select('secret').where('id', '=', cred.id).executeTakeFirstOrThrow();
      await t.stopServer();

      const result = await runOma(['rotate-root-secret'], cliEnv(db));
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.columns['vault_credentials.secret']).toBe(1);
      expect(report.columns['model_cards.api_key']).toBe(1);
      expect(result.stdout + result.stderr).not.toContain('tok-before-rotation');
      const newSecret = readFileSync(join(db.dataDir, '.platform-root-secret'), 'utf8').trim();
      expect(newSecret).not.toBe(oldSecret);
      expect(existsSync(join(db.dataDir, '.platform-root-secret.new'))).toBe(false);

      // The old secret no longer boots the server.
      await expect(startTestServer(backend, { db, env: { PLATFORM_ROOT_SECRET: oldSecret } })).rejects.toBeInstanceOf(RootSecretMismatchError);

      t = await startTestServer(backend, { db });
      const row = await t.server.services.store.db.selectFrom('vault_credentials').selectAll().where('id', '=', cred.id).executeTakeFirstOrThrow();
      expect(row.secret).not.toBe(sealedBefore.secret);
      expect(t.server.services.vaults.openSplit(row).secret.token).toBe('tok-before-rotation');
      expect((await t.server.services.modelCards.findServing('tenant_test', 'm-rot'))?.apiKey).toBe('sk-card-before-rotation');
      expect((await t.client.beta.vaults.credentials.retrieve(cred.id, { vault_id: vault.id })).auth).toEqual({ type: 'static_bearer', mcp_server_url: 'https://api.example.com' });
      await t.stopServer();

      // With the secret in the environment, the new one is left in a 0600 file for the operator.
      const given = join(db.dataDir, 'given-secret');
      writeFileSync(given, 'a-new-root-secret-from-the-operator\n');
      const second = await runOma(['rotate-root-secret', '--new-secret-file', given], cliEnv(db, { PLATFORM_ROOT_SECRET: newSecret }));
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/Set PLATFORM_ROOT_SECRET/);
      t = await startTestServer(backend, { db, env: { PLATFORM_ROOT_SECRET: 'a-new-root-secret-from-the-operator' } });
      const again = await t.server.services.store.db.selectFrom('vault_credentials').selectAll().where('id', '=', cred.id).executeTakeFirstOrThrow();
      expect(t.server.services.vaults.openSplit(again).secret.token).toBe('tok-before-rotation');
      await t.stopServer();

      // A wrong current secret changes nothing.
      const wrong = await runOma(['rotate-root-secret'], cliEnv(db, { PLATFORM_ROOT_SECRET: 'not-the-current-secret-at-all' }));
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/PLATFORM_ROOT_SECRET does not match/);
    } finally {
      await db.drop();
    }
  });
});
