/**
 * Schema migrations: idempotent re-runs, concurrent migrators on one Postgres database, in-place
 * upgrades of an old schema, and the documented SQLite → Postgres dump recipe.
 */
import { execFileSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { sql } from 'kysely';
import { BACKENDS, createTestDatabase, type Backend } from '../support/backends.ts';
import { startTestServer } from '../support/server.ts';
import { openStore } from '../../src/store/open-store.ts';
import { migrate } from '../../src/store/migrate.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { createSqliteDialect } from '../../src/store/sqlite/sqlite-dialect.ts';
import { createPostgresDialect } from '../../src/store/postgres/postgres-dialect.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Store } from '../../src/store/store.ts';

const MODEL = 'claude-sonnet-4-6';

function dialectFor(database: Config['database']) {
  return database.kind === 'sqlite'
    ? createSqliteDialect({ path: database.path, synchronous: database.synchronous })
    : createPostgresDialect({ url: database.url });
}

async function columnsOf(store: Store, table: string): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  return tables.find((t) => t.name === table)?.columns.map((c) => c.name) ?? [];
}

async function appliedVersions(store: Store): Promise<number[]> {
  const rows = await store.db.selectFrom('schema_migrations').select('version').orderBy('version').execute();
  return rows.map((r) => Number(r.version));
}

const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

describe.each(BACKENDS)('migrations (%s)', (backend: Backend) => {
  it('running migrations twice is a no-op', async () => {
    const db = await createTestDatabase(backend);
    try {
      const store = await openStore(db.database);
      expect(await appliedVersions(store)).toEqual(ALL_VERSIONS);
      expect(await migrate(store.dialect)).toEqual([]);
      await store.dialect.close();
      const again = await openStore(db.database);
      expect(await appliedVersions(again)).toEqual(ALL_VERSIONS);
      expect(await migrate(again.dialect)).toEqual([]);
      await again.dialect.close();
    } finally {
      await db.drop();
    }
  });

  it('an old database (migration 1 only) upgrades in place and gains sessions.turn_id', async () => {
    const db = await createTestDatabase(backend);
    try {
      const old = dialectFor(db.database);
      expect(await migrate(old, MIGRATIONS.filter((m) => m.version === 1))).toEqual([1]);
      await sql`INSERT INTO tenant (id, name, created_at) VALUES ('t_old', 'old', 1)`.execute(old.db);
      await old.close();

      const store = await openStore(db.database);
      try {
        expect(await appliedVersions(store)).toEqual(ALL_VERSIONS);
        expect(await columnsOf(store, 'sessions')).toContain('turn_id');
        const tenant = await store.db.selectFrom('tenant').selectAll().where('id', '=', 't_old').executeTakeFirst();
        expect(tenant?.name).toBe('old');
      } finally {
        await store.dialect.close();
      }
    } finally {
      await db.drop();
    }
  });

  it.runIf(backend === 'postgres')('two instances migrating one fresh database at once both succeed', async () => {
    const db = await createTestDatabase('postgres');
    try {
      const stores = await Promise.all([openStore(db.database), openStore(db.database), openStore(db.database)]);
      for (const store of stores) expect(await appliedVersions(store)).toEqual(ALL_VERSIONS);
      const counts = await stores[0]!.db.selectFrom('schema_migrations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(counts.n)).toBe(ALL_VERSIONS.length);
      await Promise.all(stores.map((s) => s.dialect.close()));
    } finally {
      await db.drop();
    }
  });
});

describe.runIf(BACKENDS.includes('sqlite') && BACKENDS.includes('postgres'))('sqlite → postgres dump recipe', () => {
  it('a .dump of the tables replays on a fresh Postgres database and the SDK reads the same data', async () => {
    const source = await startTestServer('sqlite');
    const target = await createTestDatabase('postgres');
    try {
      const client = source.client;
      const agent = await client.beta.agents.create({ name: 'dumped', model: MODEL, system: 'one', metadata: { k: 'v' } });
      await client.beta.agents.update(agent.id, { system: 'two' } as any);
      const env = await client.beta.environments.create({ name: 'dumped-env' });
      const session = await client.beta.sessions.create({ agent: agent.id, environment_id: env.id, title: 'moved' });
      const emitted = await fetch(`${source.baseURL}/v1/sessions/${session.id}/_test_emit`, { method: 'POST', headers: { 'x-api-key': source.apiKey }, body: '{"text":"hello from sqlite"}' });
      expect(emitted.status).toBe(200);
      const before = {
        agent: await client.beta.agents.retrieve(agent.id),
        v1: await client.beta.agents.retrieve(agent.id, { version: 1 }),
        session: await client.beta.sessions.retrieve(session.id),
        events: (await client.beta.sessions.events.list(session.id)).data,
      };
      await source.stopServer();

      const dbPath = (source.db.database as { path: string }).path;
      const dump = execFileSync('sqlite3', [dbPath, '.dump agents agent_versions sessions session_events tenant membership environments'], { encoding: 'utf8' });
      const filtered = dump.split('\n').filter((line) => !/^PRAGMA|sqlite_sequence/.test(line)).join('\n');
      execFileSync('psql', ['-v', 'ON_ERROR_STOP=1', '-q', (target.database as { url: string }).url], { input: filtered, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

      const moved = await startTestServer('postgres', { db: target });
      try {
        // The API key lives in the source database (not part of the dump): read with a fresh key for the same tenant.
        const reader = await moved.clientForTenant('tenant_test');
        const { stats: _a, ...sessionBefore } = before.session;
        expect(await reader.beta.agents.retrieve(agent.id)).toEqual(before.agent);
        expect(await reader.beta.agents.retrieve(agent.id, { version: 1 })).toEqual(before.v1);
        expect(await reader.beta.sessions.retrieve(session.id)).toMatchObject(sessionBefore);
        expect((await reader.beta.sessions.events.list(session.id)).data).toEqual(before.events);
        expect((await reader.beta.environments.retrieve(env.id)).name).toBe('dumped-env');
        // And the moved database keeps working.
        const next = await reader.beta.sessions.create({ agent: agent.id, environment_id: env.id });
        expect(next.agent).toMatchObject({ version: 2 });
      } finally {
        await moved.stop();
      }
    } finally {
      await source.stop();
      await target.drop();
    }
  });
});
