/**
 * A session keeps the environment config it was created with (sessions.environment_config,
 * migration 5): environment updates apply only to new sessions, also across a restart. Sessions
 * from before migration 5 have no snapshot and read their environment as it is now. The bwrap
 * sandbox shows which networking a session got (which refusal the proxy answers with).
 */
import Anthropic from '@anthropic-ai/sdk';
import { chmod } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type Backend, type TestDatabase } from '../support/backends.ts';
import { reply, startFakeModel, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { BWRAP_UNAVAILABLE } from '../support/sandbox-providers.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { createSqliteDialect } from '../../src/store/sqlite/sqlite-dialect.ts';
import { createPostgresDialect } from '../../src/store/postgres/postgres-dialect.ts';
import type { Store } from '../../src/store/store.ts';

const UNRESTRICTED = { type: 'cloud', networking: { type: 'unrestricted' } };
const LIMITED = { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['example.com'] } };
/**
 * Which networking the sandbox got. With the vault egress proxy (the server always has one) a
 * networked bwrap command's only way out is the proxy, `limited` included; the proxy answers a
 * request for localhost (not in LIMITED's allowed_hosts, and private) with its allowlist refusal
 * under `limited` and its private-address refusal under `unrestricted`.
 */
const PROBE = 'out=$(curl -s --max-time 20 http://localhost:9/ 2>&1); case "$out" in *allowlist*) echo limited;; *oma-vault*) echo unrestricted;; *) echo none;; esac';
const NETWORK = 'unrestricted';
const NO_NETWORK = 'limited';
const CAN_OBSERVE_NETWORK = !BWRAP_UNAVAILABLE && process.getuid?.() === 0;

async function createEnvironment(client: Anthropic, config: object) {
  return client.beta.environments.create({ name: `env-${Date.now()}-${Math.random()}`, config } as Anthropic.Beta.Environments.EnvironmentCreateParams);
}

async function updateEnvironment(client: Anthropic, id: string, config: object) {
  return client.beta.environments.update(id, { config } as Anthropic.Beta.Environments.EnvironmentUpdateParams);
}

async function createSession(client: Anthropic, environmentId: string) {
  const agent = await client.beta.agents.create({ name: 'snapshot', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
  return client.beta.sessions.create({ agent: agent.id, environment_id: environmentId });
}

async function storedSnapshot(store: Pick<Store, 'db'>, sessionId: string): Promise<unknown> {
  const row = await store.db.selectFrom('sessions').select('environment_config').where('id', '=', sessionId).executeTakeFirstOrThrow();
  return row.environment_config === null ? null : JSON.parse(row.environment_config);
}

/** Runs the network probe as the session's one tool call and returns the tool result's text. */
async function probeNetwork(fake: FakeModel, client: Anthropic, sessionId: string): Promise<string> {
  fake.script([reply(toolUse('bash', { command: PROBE })), reply(text('probed'))]);
  await client.beta.sessions.events.send(sessionId, { events: [userMessage('probe')] });
  const events = await waitForIdle(client, sessionId);
  fake.assertDone();
  const result = events.find((e: WireEvent) => e.type === 'agent.tool_result');
  return ((result?.content as { text?: string }[] | undefined) ?? []).map((b) => b.text ?? '').join('');
}

/** Makes the database look as if it had been created before migration 5 (no environment_config column). */
async function undoMigration5(db: TestDatabase): Promise<void> {
  const dialect = db.database.kind === 'sqlite'
    ? createSqliteDialect({ path: db.database.path, synchronous: db.database.synchronous })
    : createPostgresDialect({ url: db.database.url });
  try {
    await sql`ALTER TABLE sessions DROP COLUMN environment_config`.execute(dialect.db);
    await dialect.db.deleteFrom('schema_migrations').where('version', '=', 5).execute();
  } finally {
    await dialect.close();
  }
}

describe.each(BACKENDS)('environment snapshot on %s', (backend: Backend) => {
  let fake: FakeModel;

  beforeAll(async () => {
    fake = await startFakeModel();
  });

  afterAll(async () => {
    await fake?.close();
  });

  it('stores the environment config in the session row at create; later environment updates leave it alone', async () => {
    const t = await startTestServer(backend);
    try {
      const store = t.server.services.store;
      const env = await createEnvironment(t.client, UNRESTRICTED);
      const before = await createSession(t.client, env.id);
      expect(await storedSnapshot(store, before.id)).toEqual(env.config);
      expect((env.config as { networking: unknown }).networking).toEqual({ type: 'unrestricted' });

      const updated = await updateEnvironment(t.client, env.id, LIMITED);
      const after = await createSession(t.client, env.id);
      expect(await storedSnapshot(store, before.id)).toEqual(env.config);
      expect(await storedSnapshot(store, after.id)).toEqual(updated.config);
      expect((updated.config as { networking: unknown }).networking).toMatchObject({ type: 'limited', allowed_hosts: ['example.com'] });
      // The wire Session is unchanged: the snapshot is internal.
      expect(await t.client.beta.sessions.retrieve(before.id)).not.toHaveProperty('environment_config');
    } finally {
      await t.stop();
    }
  });

  describe('with the bwrap sandbox', () => {
    let db: TestDatabase;
    let t: TestServer | undefined;
    /** (Re)starts the server on the same database. */
    const start = async () => {
      await t?.stopServer();
      return (t = await startTestServer(backend, { db, env: { SANDBOX_PROVIDER: 'bwrap', ANTHROPIC_BASE_URL: fake.url } }));
    };

    beforeAll(async () => {
      if (!CAN_OBSERVE_NETWORK) return;
      db = await createTestDatabase(backend);
      // mkdtemp makes the data directory 0700; bwrap's session uids must be able to traverse it.
      await chmod(db.dataDir, 0o711);
    });

    afterAll(async () => {
      await t?.stopServer();
      await db?.drop();
    });

    it.skipIf(!CAN_OBSERVE_NETWORK)('a session keeps the network it was created with after its environment becomes limited and the server restarts; a new session gets the limited one', async () => {
      let server = await start();
      const env = await createEnvironment(server.client, UNRESTRICTED);
      const before = await createSession(server.client, env.id);
      await updateEnvironment(server.client, env.id, LIMITED);
      server = await start();
      // The sandbox of `before` is first opened now, after the update and the restart.
      expect(await probeNetwork(fake, server.client, before.id)).toBe(NETWORK);
      const after = await createSession(server.client, env.id);
      expect(await probeNetwork(fake, server.client, after.id)).toBe(NO_NETWORK);
    });

    it.skipIf(!CAN_OBSERVE_NETWORK)('a session from before migration 5 (no snapshot) gets the networking its environment has now', async () => {
      let server = await start();
      const env = await createEnvironment(server.client, LIMITED);
      const old = await createSession(server.client, env.id);
      await updateEnvironment(server.client, env.id, UNRESTRICTED);
      await server.stopServer();
      await undoMigration5(db);
      server = await start();
      // The boot ran migration 5 again: the column is back, NULL for the old row.
      expect(await storedSnapshot(server.server.services.store, old.id)).toBeNull();
      expect(await probeNetwork(fake, server.client, old.id)).toBe(NETWORK);
    });
  });
});
