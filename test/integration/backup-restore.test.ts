/**
 * Backup and restore with real processes (issue 18): a backup taken while a turn runs, restored on
 * a "new machine" (a fresh DATA_DIR and database), answers identically — agents, environments,
 * API keys, the session's events up to the snapshot, a Console user who signs in again — and the
 * interrupted turn then finishes there. A tampered backup is refused with nothing written; a
 * non-empty target is refused without --force.
 */
import Anthropic from '@anthropic-ai/sdk';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { cliEnv, runOma } from '../support/oma-cli.ts';
import { waitFor } from '../support/wait-for.ts';
import { openStore } from '../../src/store/open-store.ts';
import { nonEmptyTables } from '../../src/store/table-copy.ts';
import { ScriptedAgent } from '../../scripts/crash-test/scripted-agent.ts';
import { encodePlan } from '../../scripts/crash-test/plan.ts';
import type { Manifest } from '../../src/ops/backup-layout.ts';

const AUTH_ON = { AUTH_DISABLED: '' };

/** A vault with a credential and a memory store with a memory (its content lives in MEMORY_BLOB_DIR). */
async function populateExtras(client: Anthropic) {
  const vault = await client.beta.vaults.create({ display_name: 'kept' });
  const credential = await client.beta.vaults.credentials.create(vault.id, { display_name: 'pat', auth: { type: 'static_bearer', token: 'ghp_backup_secret_0123', mcp_server_url: 'https://api.github.com' } });
  const store = await client.beta.memoryStores.create({ name: 'kept-memories' });
  const memory = await client.beta.memoryStores.memories.create(store.id, { path: '/notes.md', content: 'remember the backup' });
  return { vault: vault.id, credential: credential.id, store: store.id, memory: memory.id };
}

async function readExtras(client: Anthropic, ids: Awaited<ReturnType<typeof populateExtras>>) {
  return {
    vault: await client.beta.vaults.retrieve(ids.vault),
    credential: await client.beta.vaults.credentials.retrieve(ids.credential, { vault_id: ids.vault }),
    store: await client.beta.memoryStores.retrieve(ids.store),
    memory: await client.beta.memoryStores.memories.retrieve(ids.memory, { memory_store_id: ids.store }),
  };
}

async function everything(client: Anthropic, sessionId: string) {
  const events = [];
  for await (const e of client.beta.sessions.events.list(sessionId, { limit: 1000 })) events.push(e);
  const agents = [];
  for await (const a of client.beta.agents.list()) agents.push(a);
  const environments = [];
  for await (const e of client.beta.environments.list()) environments.push(e);
  return { agents, environments, events };
}

describe.each(BACKENDS)('backup while a turn runs, restore on a new machine (%s)', (backend) => {
  let fake: FakeModel;
  let source: TestDatabase;
  let target: TestDatabase;
  let server: ChildServer | undefined;
  let backupDir: string;
  beforeAll(async () => {
    fake = await startFakeModel();
    fake.respondWith(new ScriptedAgent().respond);
    source = await createTestDatabase(backend);
    target = await createTestDatabase(backend);
    backupDir = mkdtempSync(join(tmpdir(), 'oma-backup-'));
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await fake?.close();
    await source?.drop();
    await target?.drop();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('restores agents, events, API keys and Console users identically, and the turn finishes there', async () => {
    const env = { ...AUTH_ON, ANTHROPIC_BASE_URL: fake.url };
    server = await startChildServer(source, { env });
    const ann = new ConsoleClient(server.baseURL);
    expect((await ann.signUp('ann@example.com', 'correct horse battery', 'Ann')).status).toBe(200);
    const minted = await runOma(['api-keys', 'create', '--tenant', 'default', '--name', 'restore-test'], cliEnv(source));
    expect(minted.code, minted.stderr).toBe(0);
    const key = (JSON.parse(minted.stdout) as { key: string }).key;
    const clientA = new Anthropic({ apiKey: key, baseURL: server.baseURL, maxRetries: 0 });
    const extras = await populateExtras(clientA);
    const extrasBefore = await readExtras(clientA, extras);
    expect(extrasBefore.memory.content).toBe('remember the backup');
    const agent = await clientA.beta.agents.create({ name: 'keeper', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await clientA.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    const text = encodePlan({ sessionTag: 'bk', messageTag: 'm0', chunkDelayMs: 0, textLength: 20, steps: [{ kind: 'bash', sleepMs: 20_000, failOnce: false }] });
    await clientA.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
    await waitFor(async () => (await everything(clientA, session.id)).events.some((e) => e.type === 'agent.tool_use') || undefined, { timeoutMs: 20_000, message: 'the tool never started' });

    // Online: the server keeps running (and writing) while the backup is taken.
    const backup = await runOma(['backup', '--out', backupDir], cliEnv(source));
    expect(backup.code, backup.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.database.kind).toBe(backend);
    expect(manifest.database.tables.agents).toBe(1);
    expect(manifest.database.tables.api_keys).toBe(1);
    expect(manifest.secret_files.sort()).toEqual(['.better-auth-secret', '.platform-root-secret']);
    expect(manifest.files.every((f) => f.kind !== 'file' || /^[0-9a-f]{64}$/.test(f.sha256!))).toBe(true);
    expect(manifest.files.some((f) => f.path.endsWith('server.pid') || f.path.endsWith('.lock'))).toBe(false);
    expect(manifest.database.tables.session_events).toBeGreaterThan(0);

    const before = await everything(clientA, session.id);
    expect(before.events.some((e) => e.type === 'agent.tool_result')).toBe(false); // still running
    server.child.kill('SIGTERM'); // stops the tool's processes too
    await server.exited;

    const restored = await runOma(['restore', '--from', backupDir], cliEnv(target));
    expect(restored.code, restored.stderr).toBe(0);
    server = await startChildServer(target, { env });
    const clientB = new Anthropic({ apiKey: key, baseURL: server.baseURL, maxRetries: 0 });
    const after = await waitFor(async () => {
      const state = await everything(clientB, session.id);
      return state.events.at(-1)?.type === 'session.status_idle' ? state : undefined;
    }, { timeoutMs: 30_000, message: 'the restored session did not finish its turn' }).catch(async (err: unknown) => {
      const state = await everything(clientB, session.id).catch((e: unknown) => String(e));
      throw new Error(`${(err as Error).message}\n${JSON.stringify(state).slice(-3000)}\n${server!.output().slice(-3000)}`);
    });
    expect(after.agents).toEqual(before.agents);
    expect(await readExtras(clientB, extras)).toEqual(extrasBefore);
    expect(after.environments).toEqual(before.environments);
    // Everything the snapshot holds is there, identical: the log up to the running tool's call.
    const upToTool = before.events.findIndex((e) => e.type === 'agent.tool_use') + 1;
    expect(upToTool).toBeGreaterThan(1);
    expect(after.events.slice(0, upToTool)).toEqual(before.events.slice(0, upToTool));
    // After the restore the interrupted tool is reported as such, as after a crash.
    const result = after.events.find((e) => e.type === 'agent.tool_result') as { is_error?: boolean } | undefined;
    expect(result?.is_error).toBe(true);
    const annAgain = new ConsoleClient(server.baseURL);
    expect((await annAgain.signIn('ann@example.com', 'correct horse battery')).status).toBe(200);
    expect((await annAgain.request('GET', '/v1/me')).json).toMatchObject({ user: { email: 'ann@example.com' } });
  }, 180_000);

  it('refuses a non-empty target without --force', async () => {
    await server!.kill();
    server = undefined;
    const again = await runOma(['restore', '--from', backupDir], cliEnv(target));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty.*--force/);
  }, 60_000);

  it('refuses a tampered backup before writing anything', async () => {
    const fresh = await createTestDatabase(backend);
    try {
      const file = manifestFile(backupDir);
      appendFileSync(join(backupDir, file), 'x');
      const r = await runOma(['restore', '--from', backupDir], cliEnv(fresh));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file}: checksum differs`);
      expect(readdirSync(fresh.dataDir)).toEqual([]);
      if (backend === 'postgres') {
        const store = await openStore(fresh.database);
        expect(await nonEmptyTables(store.dialect)).toEqual({});
        await store.close();
      } else {
        expect(existsSync(fresh.database.kind === 'sqlite' ? fresh.database.path : '')).toBe(false);
      }
      writeFileSync(join(backupDir, 'files', 'data', 'extra'), 'planted');
      expect((await runOma(['restore', '--from', backupDir], cliEnv(fresh))).stderr).toContain('extra: not in the manifest');
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});

/** A file of the database export (the SQLite file, or the agents' JSON lines on Postgres). */
function manifestFile(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return manifest.files.find((f) => f.path === 'database/oma.db' || f.path === 'database/tables/agents.jsonl')!.path;
}
