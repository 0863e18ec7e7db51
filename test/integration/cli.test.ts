/**
 * The `oma` tool's command line (issue 18): `--help` on the tool and on every command (it used to
 * fail with a parser error), unknown options and commands refused with exit 2, and `api-keys create`
 * refusing a tenant that does not exist (it used to mint a key for `tenant_typo`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { cliEnv, runOma } from '../support/oma-cli.ts';
import { openStore } from '../../src/store/open-store.ts';
import { COMMANDS } from '../../src/cli/commands/index.ts';

describe('oma --help', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('lists every command, and each command prints its own usage', async () => {
    const top = await runOma(['--help'], cliEnv(db));
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c.name);
    for (const c of COMMANDS) {
      const own = await runOma([...c.name.split(' '), '--help'], cliEnv(db));
      expect(own.code, c.name).toBe(0);
      expect(own.stdout, c.name).toContain(`npm run oma -- ${c.name}`);
    }
  }, 120_000);

  it('refuses an unknown command or option with exit 2 and a pointer to --help', async () => {
    const unknown = await runOma(['bogus'], cliEnv(db));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "bogus".*--help/);
    const option = await runOma(['api-keys', 'create', '--tenat', 'x'], cliEnv(db));
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/--tenat.*api-keys create --help/);
  }, 60_000);
});

describe('oma backup --out', () => {
  it('refuses a directory inside DATA_DIR (the backup would copy itself)', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const r = await runOma(['backup', '--out', `${db.dataDir}/backups/today`], cliEnv(db));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is inside .* which the backup copies/);
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe.each(BACKENDS)('oma api-keys create (%s)', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('refuses a tenant that does not exist and mints nothing', async () => {
    const r = await runOma(['api-keys', 'create', '--tenant', 'tenant_typo'], cliEnv(db));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no tenant with id tenant_typo/);
    expect(r.stdout).toBe('');
    const store = await openStore(db.database);
    try {
      expect(await store.db.selectFrom('api_keys').selectAll().execute()).toEqual([]);
      expect(await store.tenants.find('tenant_typo')).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 60_000);

  it('mints a key for an existing tenant and for "default"', async () => {
    const store = await openStore(db.database);
    await store.tenants.ensure('tenant_real', 'real', Date.now());
    await store.close();
    for (const tenant of ['tenant_real', 'default']) {
      const r = await runOma(['api-keys', 'create', '--tenant', tenant], cliEnv(db));
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).key).toMatch(/^oma_/);
    }
  }, 60_000);
});
