/**
 * SANDBOX_PROVIDER=boxrun through the remote-sandbox framework against a loopback `boxlite serve`
 * (test/support/fake-boxrun) whose boxes run commands for real: the sandbox contract, then on both
 * backends reattach from another instance (failover), a box the server lost, the boot reaper
 * (which finds our boxes by name, boxlite having no labels to set) and idle cleanup.
 * SANDBOX_LIVE_TESTS=1 with BOXRUN_URL (and BOXRUN_API_KEY, BOXRUN_IMAGE) runs the contract against
 * a real `boxlite serve` instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoxrunDriver } from '../../src/sandbox/boxlite/boxrun-driver.ts';
import { boxNameFor } from '../../src/sandbox/boxlite/box-names.ts';
import { RemoteSandboxProvider, type RemoteProviderOptions } from '../../src/sandbox/remote/remote-provider.ts';
import { createSandboxProvider } from '../../src/sandbox/registry.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startFakeBoxrun, type FakeBoxrun } from '../support/fake-boxrun/server.ts';

const LIVE = process.env.SANDBOX_LIVE_TESTS === '1' && Boolean(process.env.BOXRUN_URL);
const API_KEY = 'boxrun-contract-key-91d2';

let fake: FakeBoxrun;
let contractDb: TestDatabase;
let contractStore: Store;

beforeAll(async () => {
  fake = await startFakeBoxrun({ apiKey: API_KEY });
  contractDb = await createTestDatabase('sqlite');
  contractStore = await openStore(contractDb.database);
});

afterAll(async () => {
  await contractStore?.close();
  await contractDb?.drop();
  await fake?.close();
});

function driver(): BoxrunDriver {
  return LIVE
    ? new BoxrunDriver({ url: process.env.BOXRUN_URL!, apiKey: process.env.BOXRUN_API_KEY, image: process.env.BOXRUN_IMAGE })
    : new BoxrunDriver({ url: fake.url, apiKey: API_KEY });
}

function provider(store: Store, options: Partial<RemoteProviderOptions> = {}): RemoteSandboxProvider {
  return new RemoteSandboxProvider({ driver: driver(), store, instanceId: 'inst-a', idleTimeoutS: 600, sweepIntervalMs: 0, retry: { attempts: 3, baseMs: 10 }, ...options });
}

/** The fake's box of a session (by the name the driver gives it). */
function boxesOf(sessionId: string): string[] {
  return [...fake.boxes.values()].filter((box) => box.name?.split('.')[2] === sessionId).map((box) => box.box_id);
}

runSandboxContract('boxrun', () => provider(contractStore), {}, {
  sessionFileExists: async (sessionId, relative) => {
    if (LIVE) return undefined;
    const [boxId] = boxesOf(sessionId);
    return boxId === undefined ? undefined : fake.boxes.get(boxId)!.machine.exists(`/home/oma/${relative}`);
  },
});

let sessionCounter = 0;
async function insertSession(store: Store, options: { status?: string; archived?: boolean } = {}): Promise<string> {
  const id = `sesn_boxrun${Date.now().toString(36)}${++sessionCounter}`;
  const now = Date.now();
  await store.sessions.insert({
    id, tenant_id: 'tenant_boxrun', agent_id: null, agent_version: null, agent: null, environment_id: 'env_x', title: null, metadata: '{}', vault_ids: '[]', resources: '[]',
    status: options.status ?? 'idle', last_seq: 0, usage: '{}', active_ms: 0, created_at: now, updated_at: now, archived_at: options.archived ? now : null, turn_id: null, environment_config: null,
  });
  return id;
}

describe.skipIf(LIVE).each(BACKENDS)('boxrun through the remote framework (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('creates the box lazily, named with deployment, session and tenant, and another instance reattaches to it with its files and shell state', async () => {
    const sessionId = await insertSession(store);
    const first = provider(store);
    await first.check();
    expect(boxesOf(sessionId)).toEqual([]);
    const sandbox = await first.open(sessionId);
    await sandbox.shell('echo kept > note.txt && mkdir -p d && cd d && export MOOD=calm');
    const [boxId] = boxesOf(sessionId);
    expect(fake.boxes.get(boxId!)?.name).toBe(boxNameFor({ deployment: await first.deployment(), instance: 'inst-a', tenant: 'tenant_boxrun', session: sessionId }));
    expect(fake.boxes.get(boxId!)?.network).toEqual({ outbound: { mode: 'disabled' }, inbound: { mode: 'disabled' } });
    expect(await store.remoteSandboxes.find(sessionId)).toMatchObject({ sandbox_id: boxId, state: 'ready', provider: 'boxrun' });
    await first.shutdown();

    const second = provider(store, { instanceId: 'inst-b' });
    await second.check();
    const again = await second.open(sessionId);
    expect(boxesOf(sessionId)).toEqual([boxId]);
    expect((await again.shell('cat ../note.txt; echo "$MOOD"; pwd')).stdout).toBe(`kept\ncalm\n${again.workdir}/d\n`);
    await second.destroy(sessionId);
    expect(boxesOf(sessionId)).toEqual([]);
    expect(await store.remoteSandboxes.find(sessionId)).toBeUndefined();
  });

  it('creates a new box when the server lost the recorded one', async () => {
    const sessionId = await insertSession(store);
    const first = provider(store);
    await (await first.open(sessionId)).exec('touch lost.txt');
    const [lost] = boxesOf(sessionId);
    await fetch(`${fake.url}/boxes/${lost}?force=true`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
    const second = provider(store);
    const fresh = await second.open(sessionId);
    expect((await fresh.exec('ls')).stdout).toBe('');
    expect(boxesOf(sessionId)).toHaveLength(1);
    expect(boxesOf(sessionId)[0]).not.toBe(lost);
    await second.destroy(sessionId);
  });

  it('reaps at boot the boxes of this deployment whose sessions are gone or archived, and leaves other deployments\' alone', async () => {
    const p = provider(store);
    const deployment = await p.deployment();
    const live = await insertSession(store);
    const archived = await insertSession(store);
    await (await p.open(live)).exec('true');
    await (await p.open(archived)).exec('true');
    await store.sessions.update('tenant_boxrun', archived, { archived_at: Date.now() });
    const api = driver().api;
    const network = { outbound: { mode: 'disabled' as const }, inbound: { mode: 'disabled' as const } };
    const orphan = await api.createBox({ name: `oma.${deployment}.sesn_deleted_long_ago.tenant_boxrun`, network, detach: true, auto_remove: false });
    const foreign = await api.createBox({ name: 'oma.dep_other.sesn_someone_else.tenant_boxrun', network, detach: true, auto_remove: false });
    const unnamed = await api.createBox({ name: 'not-ours', network, detach: true, auto_remove: false });
    const recorded = (await store.remoteSandboxes.find(live))!.sandbox_id!;
    await p.shutdown();

    const rebooted = provider(store);
    const warnings = await rebooted.check();
    expect(warnings.join('\n')).toMatch(/deleted \d+ boxrun sandbox/);
    expect(fake.boxes.has(recorded)).toBe(true);
    expect(fake.boxes.has(orphan.box_id)).toBe(false);
    expect(fake.boxes.has(foreign.box_id)).toBe(true);
    expect(fake.boxes.has(unnamed.box_id)).toBe(true);
    expect(boxesOf(archived)).toEqual([]);
    await rebooted.destroy(live);
    await api.removeBox(foreign.box_id);
    await api.removeBox(unnamed.box_id);
  });

  it('deletes a box idle past SANDBOX_IDLE_TIMEOUT_S and starts fresh on the next use', async () => {
    let now = Date.now();
    const p = provider(store, { idleTimeoutS: 60, now: () => now });
    const idle = await insertSession(store);
    await (await p.open(idle)).exec('touch here.txt');
    now += 61_000;
    await p.sweep();
    expect(boxesOf(idle)).toEqual([]);
    const reopened = await p.open(idle);
    expect((await reopened.exec('ls')).stdout).toBe('');
    await p.destroy(idle);
  });

  it('is what SANDBOX_PROVIDER=boxrun builds from the configuration, and boot refuses when the server does not answer', async () => {
    const config = loadConfig({ DATA_DIR: db.dataDir, SANDBOX_PROVIDER: 'boxrun', BOXRUN_URL: fake.url, BOXRUN_API_KEY: API_KEY }, { generateSecrets: false });
    const { provider: built } = createSandboxProvider({ name: 'boxrun', workdirRoot: '/nonexistent', instanceId: 'inst-c', remote: { config: config.sandbox, store } });
    expect(built.name).toBe('boxrun');
    await built.check();
    await built.shutdown();
    const wrong = loadConfig({ DATA_DIR: db.dataDir, SANDBOX_PROVIDER: 'boxrun', BOXRUN_URL: fake.url, BOXRUN_API_KEY: 'wrong' }, { generateSecrets: false });
    const { provider: refused } = createSandboxProvider({ name: 'boxrun', workdirRoot: '/nonexistent', remote: { config: wrong.sandbox, store } });
    await expect(refused.check()).rejects.toThrow(/SANDBOX_PROVIDER=boxrun.*invalid or missing API key.*BOXRUN_API_KEY/);
    expect(() => loadConfig({ DATA_DIR: db.dataDir, SANDBOX_PROVIDER: 'boxrun' }, { generateSecrets: false })).toThrow(/BOXRUN_URL is missing/);
  });
});
