/**
 * The remote framework's behaviour through one provider's loopback fake, on both backends:
 * lazy creation with tags, reattach from another instance, a sandbox the provider lost, the boot
 * reaper, idle and archive cleanup, provider errors and retries, memory mounts synced through the
 * server. Each remote provider's test file runs it with its fake and driver.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.ts';
import { RemoteSandboxProvider, type RemoteProviderOptions } from '../../../src/sandbox/remote/remote-provider.ts';
import type { RemoteDriver } from '../../../src/sandbox/remote/driver.ts';
import { SandboxError } from '../../../src/sandbox/sandbox.ts';
import { BACKENDS } from '../backends.ts';
import { useTestStore } from '../test-store.ts';
import type { FakeMachine, FakeMachines } from './machine.ts';
import type { Fault, RecordedRequest } from './fake-service.ts';
import { insertSession, memoryFixture } from './remote-fixtures.ts';

export interface RemoteFake {
  machines: FakeMachines;
  requests: RecordedRequest[];
  faults: Fault[];
}

export interface RemoteSuiteOptions {
  fake: RemoteFake;
  driver(): RemoteDriver;
  /** A driver with a wrong key, and what check() then says. */
  badKeyDriver(): RemoteDriver;
  badKeyMessage: RegExp;
  /** The path of the provider's create call. */
  createPath: RegExp;
  /** Asserts the machine was created without outbound network. */
  expectNoNetwork(machine: FakeMachine): void;
}

export function runRemoteFrameworkSuite(name: string, t: RemoteSuiteOptions): void {
  const { fake } = t;
  const provider = (store: Store, options: Partial<RemoteProviderOptions> = {}) =>
    new RemoteSandboxProvider({ driver: t.driver(), store, instanceId: 'inst-a', idleTimeoutS: 600, sweepIntervalMs: 0, retry: { attempts: 3, baseMs: 10 }, ...options });
  describe.each(BACKENDS)(`${name} remote framework (%s)`, (backend) => {
    const bed = useTestStore(backend);

    const machineOf = (sessionId: string) => [...fake.machines.machines.values()].filter((m) => m.labels['oma-session'] === sessionId);

    it('creates lazily with tags and no network, and another instance reattaches to the same sandbox and files', async () => {
      const sessionId = await insertSession(bed.store);
      const first = provider(bed.store);
      await first.check();
      expect(machineOf(sessionId)).toHaveLength(0);
      const sandbox = await first.open(sessionId);
      await sandbox.shell('echo kept > note.txt && mkdir -p d && cd d && export MOOD=calm');
      const [machine] = machineOf(sessionId);
      expect(machine.labels).toMatchObject({ 'oma-session': sessionId, 'oma-tenant': 'tenant_remote', 'oma-instance': 'inst-a', 'oma-deployment': await first.deployment() });
      t.expectNoNetwork(machine);
      const row = await bed.store.remoteSandboxes.find(sessionId);
      expect(row).toMatchObject({ sandbox_id: machine.id, state: 'ready', provider: name });
      await first.shutdown();

      // Another instance (or this one after a restart) takes the session over.
      const second = provider(bed.store, { instanceId: 'inst-b' });
      await second.check();
      const again = await second.open(sessionId);
      expect(machineOf(sessionId).map((m) => m.id)).toEqual([machine.id]);
      expect((await again.shell('cat ../note.txt; echo "$MOOD"; pwd')).stdout).toBe(`kept\ncalm\n${again.workdir}/d\n`);
      expect((await bed.store.remoteSandboxes.find(sessionId))?.instance_id).toBe('inst-b');
      await second.destroy(sessionId);
      expect(machineOf(sessionId)).toHaveLength(0);
      expect(await bed.store.remoteSandboxes.find(sessionId)).toBeUndefined();
    });

    it('creates a new sandbox when the provider lost the recorded one', async () => {
      const sessionId = await insertSession(bed.store);
      const logs: string[] = [];
      const first = provider(bed.store, { log: (_level, message) => logs.push(message) });
      await (await first.open(sessionId)).exec('touch lost.txt');
      const [lost] = machineOf(sessionId);
      await fake.machines.delete(lost.id);
      const second = provider(bed.store, { log: (_level, message) => logs.push(message) });
      const fresh = await second.open(sessionId);
      expect((await fresh.exec('ls')).stdout).toBe('');
      expect(machineOf(sessionId)).toHaveLength(1);
      expect(machineOf(sessionId)[0].id).not.toBe(lost.id);
      expect(logs.join('\n')).toContain(`${lost.id} of session ${sessionId} is gone at the provider`);
      await second.destroy(sessionId);
    });

    it('reaps at boot what this deployment left behind: deleted and archived sessions, unrecorded sandboxes', async () => {
      const p = provider(bed.store);
      const deployment = await p.deployment();
      const live = await insertSession(bed.store);
      const archived = await insertSession(bed.store);
      await (await p.open(live)).exec('true');
      await (await p.open(archived)).exec('true');
      await bed.store.sessions.update('tenant_remote', archived, { archived_at: Date.now() });
      const tags = (session: string, dep = deployment) => ({ 'oma-deployment': dep, 'oma-session': session, 'oma-tenant': 'tenant_remote', 'oma-instance': 'gone' });
      const orphanOfDeleted = await fake.machines.create(tags('sesn_deleted_long_ago'));
      const strayOfLive = await fake.machines.create(tags(live));
      const otherDeployment = await fake.machines.create(tags('sesn_someone_else', 'dep_other'));
      const recorded = (await bed.store.remoteSandboxes.find(live))!.sandbox_id!;
      await p.shutdown();

      const rebooted = provider(bed.store);
      const warnings = await rebooted.check();
      expect(warnings.join('\n')).toMatch(new RegExp(`deleted 3 ${name} sandbox`));
      const remaining = new Set(fake.machines.machines.keys());
      expect(remaining.has(recorded)).toBe(true);
      expect(remaining.has(orphanOfDeleted.id)).toBe(false);
      expect(remaining.has(strayOfLive.id)).toBe(false);
      expect(remaining.has(otherDeployment.id)).toBe(true);
      // The archived session's sandbox is reaped too.
      expect(machineOf(archived)).toHaveLength(0);
      expect(await bed.store.remoteSandboxes.find(archived)).toBeUndefined();
      await rebooted.destroy(live);
      await fake.machines.delete(otherDeployment.id);
    });

    it('deletes a sandbox idle past SANDBOX_IDLE_TIMEOUT_S (not one mid-turn) and starts fresh on the next use', async () => {
      let now = Date.now();
      const p = provider(bed.store, { idleTimeoutS: 60, now: () => now });
      const idle = await insertSession(bed.store);
      const busy = await insertSession(bed.store, { status: 'running' });
      await (await p.open(idle)).exec('touch here.txt');
      await (await p.open(busy)).exec('true');
      now += 59_000;
      await p.sweep();
      expect(machineOf(idle)).toHaveLength(1);
      now += 2_000;
      await p.sweep();
      expect(machineOf(idle)).toHaveLength(0);
      expect(machineOf(busy)).toHaveLength(1);
      expect(await bed.store.remoteSandboxes.find(idle)).toBeUndefined();
      const reopened = await p.open(idle);
      expect((await reopened.exec('ls')).stdout).toBe('');
      await p.destroy(idle);
      await p.destroy(busy);
    });

    it('retries what the provider calls retryable and reports the rest with its message', async () => {
      const p = provider(bed.store);
      const retried = await insertSession(bed.store);
      const creates = () => fake.requests.filter((r) => r.method === 'POST' && t.createPath.test(r.path)).length;
      const before = creates();
      fake.faults.push({ method: 'POST', path: t.createPath, status: 503, message: 'no capacity right now' });
      await (await p.open(retried)).exec('true');
      expect(creates() - before).toBe(2);

      const refused = await insertSession(bed.store);
      fake.faults.push({ method: 'POST', path: t.createPath, status: 403, message: 'You have reached the maximum number of concurrent sandboxes (20)' });
      const error = await p.open(refused).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SandboxError);
      expect((error as Error).message).toContain('maximum number of concurrent sandboxes (20)');
      expect(await bed.store.remoteSandboxes.find(refused)).toMatchObject({ state: 'creating', sandbox_id: null });
      // The next open tries again (the row says nothing was created).
      await (await p.open(refused)).exec('true');
      expect(machineOf(refused)).toHaveLength(1);
      await p.destroy(retried);
      await p.destroy(refused);
    });

    it('refuses a bad key at boot and limited networking without VAULT_PROXY_PUBLIC_URL', async () => {
      const bad = new RemoteSandboxProvider({ driver: t.badKeyDriver(), store: bed.store, instanceId: 'x', idleTimeoutS: 600, sweepIntervalMs: 0 });
      await expect(bad.check()).rejects.toThrow(t.badKeyMessage);
      const p = provider(bed.store);
      const sessionId = await insertSession(bed.store);
      const limited = { type: 'limited' as const, allowed_hosts: ['example.com'], allow_package_managers: false, allow_mcp_servers: false };
      await expect(p.open(sessionId, { networking: limited })).rejects.toThrow(/VAULT_PROXY_PUBLIC_URL/);
      expect(machineOf(sessionId)).toHaveLength(0);
    });

    it('syncs memory mounts through the server: host files inside, changes back before the call returns, read-only ones reset', async () => {
      const memory = await memoryFixture();
      const p = provider(bed.store);
      const sessionId = await insertSession(bed.store);
      const sandbox = await p.open(sessionId, { memory });
      const listed = await sandbox.exec('cat /mnt/memory/notes/a.md /mnt/memory/docs/ro.md; echo "$OMA_MEMORY_DIR"');
      expect(listed.stdout).toBe('alpha\nread only\n/mnt/memory\n');
      const wrote = await sandbox.exec('echo beta > /mnt/memory/notes/b.md && rm /mnt/memory/notes/a.md && echo hacked > /mnt/memory/docs/ro.md && echo new > /mnt/memory/docs/new.md');
      expect(wrote.exitCode).toBe(0);
      // Back on the host as soon as exec resolved.
      expect(await readFile(path.join(memory.hostRoot, 'notes', 'b.md'), 'utf8')).toBe('beta\n');
      expect(existsSync(path.join(memory.hostRoot, 'notes', 'a.md'))).toBe(false);
      expect(await readFile(path.join(memory.hostRoot, 'docs', 'ro.md'), 'utf8')).toBe('read only\n');
      expect(existsSync(path.join(memory.hostRoot, 'docs', 'new.md'))).toBe(false);
      expect((await sandbox.exec('cat /mnt/memory/docs/ro.md; ls /mnt/memory/docs')).stdout).toBe('read only\nro.md\n');
      await expect(sandbox.writeFile('/mnt/memory/docs/x.md', 'no')).rejects.toThrow(/read-only mount/);
      // A change on the host (another session wrote the store) reaches the machine before the next command.
      await writeFile(path.join(memory.hostRoot, 'notes', 'c.md'), 'from the server\n');
      expect((await sandbox.readFile('/mnt/memory/notes/c.md')).toString()).toBe('from the server\n');
      // Nothing of the host's blob store or vault is in the machine's environment.
      expect((await sandbox.exec('env')).stdout).not.toMatch(/S3|SECRET|DATABASE_URL/);
      await p.destroy(sessionId);
      await rm(memory.hostRoot, { recursive: true, force: true });
    });
  });
}
