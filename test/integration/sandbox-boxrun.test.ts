/**
 * SANDBOX_PROVIDER=boxrun through the remote-sandbox framework against a loopback `boxlite serve`
 * (test/support/fake-boxrun) whose boxes run commands for real: the sandbox contract, then on both
 * backends reattach from another instance (failover), a box the server lost, the boot reaper
 * (which finds our boxes by name, boxlite having no labels to set) and idle cleanup.
 * SANDBOX_LIVE_TESTS=1 with BOXRUN_URL (and BOXRUN_API_KEY, BOXRUN_IMAGE) runs the contract against
 * a real `boxlite serve` instead.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoxrunDriver } from '../../src/sandbox/boxlite/boxrun-driver.ts';
import { boxNameFor } from '../../src/sandbox/boxlite/box-names.ts';
import { RemoteSandboxProvider, type RemoteProviderOptions } from '../../src/sandbox/remote/remote-provider.ts';
import { createSandboxProvider } from '../../src/sandbox/registry.ts';
import { SandboxError } from '../../src/sandbox/sandbox.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Store } from '../../src/store/store.ts';
import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { BACKENDS } from '../support/backends.ts';
import { useTestStore } from '../support/test-store.ts';
import { startFakeBoxrun, type FakeBoxrun } from '../support/fake-boxrun/server.ts';
import { insertSession, memoryFixture } from '../support/fake-remote/remote-fixtures.ts';

const LIVE = process.env.SANDBOX_LIVE_TESTS === '1' && Boolean(process.env.BOXRUN_URL);
const API_KEY = 'boxrun-contract-key-91d2';

let fake: FakeBoxrun;
beforeAll(async () => {
  fake = await startFakeBoxrun({ apiKey: API_KEY });
});
afterAll(async () => {
  await fake?.close();
});
const contract = useTestStore('sqlite');

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

runSandboxContract('boxrun', () => provider(contract.store), {}, {
  sessionFileExists: async (sessionId, relative) => {
    if (LIVE) return undefined;
    const [boxId] = boxesOf(sessionId);
    return boxId === undefined ? undefined : existsSync(fake.boxes.get(boxId)!.machine.hostPath(`/workspace/${relative}`)!);
  },
});

describe.skipIf(LIVE).each(BACKENDS)('boxrun through the remote framework (%s)', (backend) => {
  const bed = useTestStore(backend);

  it('creates the box lazily, named with deployment, session and tenant, and another instance reattaches to it with its files and shell state', async () => {
    const sessionId = await insertSession(bed.store);
    const first = provider(bed.store);
    await first.check();
    expect(boxesOf(sessionId)).toEqual([]);
    const sandbox = await first.open(sessionId);
    await sandbox.shell('echo kept > note.txt && mkdir -p d && cd d && export MOOD=calm');
    const [boxId] = boxesOf(sessionId);
    expect(fake.boxes.get(boxId!)?.name).toBe(boxNameFor({ deployment: await first.deployment(), instance: 'inst-a', tenant: 'tenant_remote', session: sessionId }));
    expect(fake.boxes.get(boxId!)?.network).toEqual({ outbound: { mode: 'disabled' }, inbound: { mode: 'disabled' } });
    expect(await bed.store.remoteSandboxes.find(sessionId)).toMatchObject({ sandbox_id: boxId, state: 'ready', provider: 'boxrun' });
    await first.shutdown();

    const second = provider(bed.store, { instanceId: 'inst-b' });
    await second.check();
    const again = await second.open(sessionId);
    expect(boxesOf(sessionId)).toEqual([boxId]);
    expect((await again.shell('cat ../note.txt; echo "$MOOD"; pwd')).stdout).toBe(`kept\ncalm\n${again.workdir}/d\n`);
    await second.destroy(sessionId);
    expect(boxesOf(sessionId)).toEqual([]);
    expect(await bed.store.remoteSandboxes.find(sessionId)).toBeUndefined();
  });

  it('creates a new box when the server lost the recorded one', async () => {
    const sessionId = await insertSession(bed.store);
    const first = provider(bed.store);
    await (await first.open(sessionId)).exec('touch lost.txt');
    const [lost] = boxesOf(sessionId);
    await fetch(`${fake.url}/boxes/${lost}?force=true`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
    const second = provider(bed.store);
    const fresh = await second.open(sessionId);
    expect((await fresh.exec('ls')).stdout).toBe('');
    expect(boxesOf(sessionId)).toHaveLength(1);
    expect(boxesOf(sessionId)[0]).not.toBe(lost);
    await second.destroy(sessionId);
  });

  it('reaps at boot the boxes of this deployment whose sessions are gone or archived, and leaves other deployments\' alone', async () => {
    const p = provider(bed.store);
    const deployment = await p.deployment();
    const live = await insertSession(bed.store);
    const archived = await insertSession(bed.store);
    await (await p.open(live)).exec('true');
    await (await p.open(archived)).exec('true');
    await bed.store.sessions.update('tenant_remote', archived, { archived_at: Date.now() });
    const api = driver().api;
    const network = { outbound: { mode: 'disabled' as const }, inbound: { mode: 'disabled' as const } };
    const orphan = await api.createBox({ name: `oma.${deployment}.sesn_deleted_long_ago.tenant_remote`, network, detach: true, auto_remove: false });
    const foreign = await api.createBox({ name: 'oma.dep_other.sesn_someone_else.tenant_remote', network, detach: true, auto_remove: false });
    const unnamed = await api.createBox({ name: 'not-ours', network, detach: true, auto_remove: false });
    const recorded = (await bed.store.remoteSandboxes.find(live))!.sandbox_id!;
    await p.shutdown();

    const rebooted = provider(bed.store);
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
    const p = provider(bed.store, { idleTimeoutS: 60, now: () => now });
    const idle = await insertSession(bed.store);
    await (await p.open(idle)).exec('touch here.txt');
    now += 61_000;
    await p.sweep();
    expect(boxesOf(idle)).toEqual([]);
    const reopened = await p.open(idle);
    expect((await reopened.exec('ls')).stdout).toBe('');
    await p.destroy(idle);
  });

  it('retries what the server calls retryable and reports the rest with its message', async () => {
    const p = provider(bed.store);
    const retried = await insertSession(bed.store);
    const creates = () => fake.requests.filter((line) => line === 'POST /v1/default/boxes').length;
    const before = creates();
    fake.failNext('POST /boxes', 503, { message: 'no capacity right now', type: 'UpstreamUnavailableError', code: 'upstream_unavailable' });
    await (await p.open(retried)).exec('true');
    expect(creates() - before).toBe(2);
    const refused = await insertSession(bed.store);
    fake.failNext('POST /boxes', 422, { message: 'images error: manifest unknown for debian:bookworm-slim', type: 'ImageError', code: 'image_pull_failed' });
    const error = await p.open(refused).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as Error).message).toContain('manifest unknown for debian:bookworm-slim');
    expect(boxesOf(refused)).toEqual([]);
    await (await p.open(refused)).exec('true');
    expect(boxesOf(refused)).toHaveLength(1);
    await p.destroy(retried);
    await p.destroy(refused);
  });

  it('syncs memory mounts through the server with the files API: host files inside, changes back, read-only ones reset', async () => {
    const memory = await memoryFixture();
    const p = provider(bed.store);
    const sessionId = await insertSession(bed.store);
    const sandbox = await p.open(sessionId, { memory });
    expect((await sandbox.exec('cat /mnt/memory/notes/a.md /mnt/memory/docs/ro.md')).stdout).toBe('alpha\nread only\n');
    expect((await sandbox.exec('echo beta > /mnt/memory/notes/b.md && echo hacked > /mnt/memory/docs/ro.md')).exitCode).toBe(0);
    expect(await readFile(path.join(memory.hostRoot, 'notes', 'b.md'), 'utf8')).toBe('beta\n');
    expect(await readFile(path.join(memory.hostRoot, 'docs', 'ro.md'), 'utf8')).toBe('read only\n');
    expect((await sandbox.exec('cat /mnt/memory/docs/ro.md')).stdout).toBe('read only\n');
    expect(fake.requests.some((line) => line.startsWith('PUT ') && line.endsWith('/files'))).toBe(true);
    await p.destroy(sessionId);
    await rm(memory.hostRoot, { recursive: true, force: true });
  });

  it('gives a limited session a box that reaches only the proxy host, and the proxy variables with its CA', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oma-boxrun-egress-'));
    const caCertPath = path.join(dir, 'ca.pem');
    await writeFile(caCertPath, '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');
    const egress = { proxy: { host: '127.0.0.1', port: 1, url: (endpoint: { host: string; port: number }) => `http://sess-token@${endpoint.host}:${endpoint.port}` }, caCertPath, placeholders: {} };
    const p = provider(bed.store, { proxyPublic: { host: '10.0.2.2', port: 8788 } });
    const sessionId = await insertSession(bed.store);
    const limited = { type: 'limited' as const, allowed_hosts: ['example.com'], allow_package_managers: false, allow_mcp_servers: false };
    const sandbox = await p.open(sessionId, { networking: limited, egress });
    const [boxId] = boxesOf(sessionId);
    expect(fake.boxes.get(boxId!)?.network).toEqual({ outbound: { mode: 'enabled', allow_net: ['10.0.2.2'] }, inbound: { mode: 'disabled' } });
    const env = (await sandbox.exec('echo "$HTTPS_PROXY"; cat "$SSL_CERT_FILE"')).stdout;
    expect(env).toBe('http://sess-token@10.0.2.2:8788\n-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');
    await p.destroy(sessionId);
    await rm(dir, { recursive: true, force: true });
  });

  it('is what SANDBOX_PROVIDER=boxrun builds from the configuration, and boot refuses when the server does not answer', async () => {
    const config = loadConfig({ DATA_DIR: bed.db.dataDir, SANDBOX_PROVIDER: 'boxrun', BOXRUN_URL: fake.url, BOXRUN_API_KEY: API_KEY }, { generateSecrets: false });
    const { provider: built } = createSandboxProvider({ name: 'boxrun', workdirRoot: '/nonexistent', instanceId: 'inst-c', remote: { config: config.sandbox, store: bed.store } });
    expect(built.name).toBe('boxrun');
    await built.check();
    await built.shutdown();
    const wrong = loadConfig({ DATA_DIR: bed.db.dataDir, SANDBOX_PROVIDER: 'boxrun', BOXRUN_URL: fake.url, BOXRUN_API_KEY: 'wrong' }, { generateSecrets: false });
    const { provider: refused } = createSandboxProvider({ name: 'boxrun', workdirRoot: '/nonexistent', remote: { config: wrong.sandbox, store: bed.store } });
    await expect(refused.check()).rejects.toThrow(/SANDBOX_PROVIDER=boxrun.*invalid or missing API key.*BOXRUN_API_KEY/);
    expect(() => loadConfig({ DATA_DIR: bed.db.dataDir, SANDBOX_PROVIDER: 'boxrun' }, { generateSecrets: false })).toThrow(/BOXRUN_URL is missing/);
  });
});
