/** `oma api-keys create|list|revoke`: API keys for headless servers, without the Console. */
import { loadConfig } from '../../config/load.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/store.ts';
import { DEFAULT_TENANT_ID } from '../../auth/principal.ts';
import { createApiKey, listApiKeys, revokeApiKey, toWireApiKey } from '../../auth/api-keys.ts';
import { requireOption, UsageError, type Command } from '../command.ts';

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loadConfig().database);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The tenant must exist; "default" (the single-tenant / AUTH_DISABLED tenant) is created on demand. */
async function checkTenant(store: Store, tenantId: string): Promise<void> {
  if (tenantId === DEFAULT_TENANT_ID) {
    await store.tenants.ensure(tenantId, tenantId, Date.now());
    return;
  }
  if (!(await store.tenants.find(tenantId))) {
    throw new UsageError(`no tenant with id ${tenantId}: use "${DEFAULT_TENANT_ID}" for a single-tenant server, or the id a user's GET /v1/me shows (tenants are created at sign-up)`);
  }
}

export const apiKeysCreate: Command = {
  name: 'api-keys create',
  summary: 'mint an API key for a tenant and print it once',
  help: `usage: npm run oma -- api-keys create --tenant <tenant id> [--name <name>]
  --tenant  an existing tenant id, or "default" for a single-tenant server
  --name    a label for the key (default "cli")`,
  options: { tenant: { type: 'string' }, name: { type: 'string' } },
  async run(args) {
    const tenantId = requireOption(args, 'tenant', `use "${DEFAULT_TENANT_ID}" for a single-tenant server`);
    const name = typeof args.values.name === 'string' ? args.values.name : 'cli';
    const key = await withStore(async (store) => {
      await checkTenant(store, tenantId);
      return createApiKey(store, { tenantId, name });
    });
    process.stdout.write(`${JSON.stringify(key, null, 2)}\n`);
    process.stderr.write('This is the only time the key is shown. Send it as x-api-key or Authorization: Bearer.\n');
    return 0;
  },
};

export const apiKeysList: Command = {
  name: 'api-keys list',
  summary: "list a tenant's live API keys (no secrets)",
  help: 'usage: npm run oma -- api-keys list --tenant <tenant id>',
  options: { tenant: { type: 'string' } },
  async run(args) {
    const tenantId = requireOption(args, 'tenant');
    const keys = await withStore((store) => listApiKeys(store, tenantId));
    process.stdout.write(`${JSON.stringify(keys.map(toWireApiKey), null, 2)}\n`);
    return 0;
  },
};

export const apiKeysRevoke: Command = {
  name: 'api-keys revoke',
  summary: 'revoke an API key at once',
  help: 'usage: npm run oma -- api-keys revoke <key id>',
  options: {},
  async run(args) {
    const id = args.positionals[0];
    if (!id) throw new UsageError('the key id is required: npm run oma -- api-keys revoke apikey_…');
    await withStore(async (store) => {
      const row = await store.db.selectFrom('api_keys').select('tenant_id').where('id', '=', id).executeTakeFirst();
      if (!row || !(await revokeApiKey(store, row.tenant_id, id))) throw new UsageError(`no live API key with id ${id}`);
    });
    process.stdout.write(`revoked ${id}\n`);
    return 0;
  },
};
