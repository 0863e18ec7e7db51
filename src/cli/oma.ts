/**
 * Operator commands for headless servers. `npm run oma -- api-keys create --tenant default [--name x]`
 * mints an API key without the Console and prints it once.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import { openStore } from '../store/open-store.ts';
import { createApiKey, listApiKeys, revokeApiKey, toWireApiKey } from '../auth/api-keys.ts';

const USAGE = `usage:
  npm run oma -- api-keys create --tenant <tenant id> [--name <name>]
  npm run oma -- api-keys list --tenant <tenant id>      (live keys, no secrets)
  npm run oma -- api-keys revoke <key id>`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { tenant: { type: 'string' }, name: { type: 'string' } } });
  const [group, command, id] = positionals;
  if (group !== 'api-keys' || !command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const store = await openStore(config.database);
  try {
    if (command === 'create') {
      if (!values.tenant) throw new ConfigError('--tenant is required (use "default" for a single-tenant server)');
      await store.tenants.ensure(values.tenant, values.tenant, Date.now());
      const key = await createApiKey(store, { tenantId: values.tenant, name: values.name ?? 'cli' });
      process.stdout.write(`${JSON.stringify(key, null, 2)}\n`);
      process.stderr.write('This is the only time the key is shown. Send it as x-api-key or Authorization: Bearer.\n');
      return 0;
    }
    if (command === 'list') {
      if (!values.tenant) throw new ConfigError('--tenant is required');
      process.stdout.write(`${JSON.stringify((await listApiKeys(store, values.tenant)).map(toWireApiKey), null, 2)}\n`);
      return 0;
    }
    if (command === 'revoke' && id) {
      const row = await store.db.selectFrom('api_keys').select('tenant_id').where('id', '=', id).executeTakeFirst();
      if (!row || !(await revokeApiKey(store, row.tenant_id, id))) throw new ConfigError(`no live API key with id ${id}`);
      process.stdout.write(`revoked ${id}\n`);
      return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`oma: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
