/**
 * The `SandboxProvider` of every remote driver (e2b, daytona, boxrun, litebox): one machine per
 * session, created on first use and recorded in `remote_sandboxes`, so that after a restart, or on
 * another instance that took the session over, `open` reattaches to the same machine (its files
 * survive). Machines are tagged with this deployment, the instance, the tenant and the session.
 * Cleanup: `destroy` (session delete) deletes the machine; a periodic sweep deletes the machines of
 * archived or deleted sessions and those idle longer than SANDBOX_IDLE_TIMEOUT_S; `check()` at boot
 * runs the reaper over everything the provider holds with this deployment's tag. Provider calls
 * are retried with backoff when the provider says they are retryable (retry.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../../store/store.ts';
import type { RemoteSandboxRow } from '../../store/remote-sandboxes-repository.ts';
import { egressEnvironment, SandboxError, type Sandbox, type SandboxOpenOptions, type SandboxProvider } from '../sandbox.ts';
import { assertSessionId } from '../shared/session-id.ts';
import { allMounts } from '../shared/mounts.ts';
import { STATE_DIRECTORY_NAME } from '../shared/shell-script.ts';
import { RemoteProviderError, type RemoteCreateSpec, type RemoteDriver, type RemoteMachine, type RemoteNetwork } from './driver.ts';
import { MountSync } from './mount-sync.ts';
import { RemoteSandbox } from './remote-sandbox.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.ts';

/** platform_meta key of this deployment's id (shared by every instance on the database). */
export const DEPLOYMENT_META_KEY = 'remote_sandbox_deployment_id';
/** A 'creating' row older than this is a crash's leftover: its machine (if any) may be reaped. */
const CREATING_STALE_MS = 10 * 60_000;
/** The idle clock is written at most this often per session. */
const TOUCH_INTERVAL_MS = 10_000;

export interface RemoteProviderOptions {
  driver: RemoteDriver;
  store: Store;
  instanceId: string;
  /** SANDBOX_IDLE_TIMEOUT_S: machines unused this long are deleted. */
  idleTimeoutS: number;
  /** VAULT_PROXY_PUBLIC_URL's host and port: where the machines reach the vault egress proxy. */
  proxyPublic?: { host: string; port: number };
  /** How often the idle/archive sweep runs; 0 disables it (tests call `sweep()`). Default min(60 s, idle/4). */
  sweepIntervalMs?: number;
  retry?: RetryPolicy;
  /** Where cleanup decisions and failures are reported. */
  log?: (level: 'info' | 'warn', message: string, details?: Record<string, unknown>) => void;
  now?: () => number;
}

interface LiveSandbox {
  sandbox: RemoteSandbox;
  lastTouch: number;
}

export class RemoteSandboxProvider implements SandboxProvider {
  readonly name: string;
  private readonly driver: RemoteDriver;
  private readonly live = new Map<string, Promise<LiveSandbox>>();
  private deploymentId: string | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly options: RemoteProviderOptions) {
    this.driver = options.driver;
    this.name = options.driver.name;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private log(level: 'info' | 'warn', message: string, details?: Record<string, unknown>): void {
    this.options.log?.(level, message, details);
  }

  private retry<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(call, this.options.retry ?? DEFAULT_RETRY);
  }

  /** This deployment's id: created once in platform_meta, the same for every instance on the database. */
  async deployment(): Promise<string> {
    this.deploymentId ??= await this.options.store.meta.setIfAbsent(DEPLOYMENT_META_KEY, `dep_${randomBytes(8).toString('hex')}`);
    return this.deploymentId;
  }

  /** Verifies the driver (credentials, reachability), then reaps what this deployment left behind and starts the sweep. */
  async check(): Promise<string[]> {
    const warnings = await this.driver.check().catch((error: unknown) => {
      throw new SandboxError({ provider: this.name, operation: 'check', message: `SANDBOX_PROVIDER=${this.name}: ${(error as Error).message}`, cause: error });
    });
    const reaped = await this.reap().catch((error: unknown) => {
      warnings.push(`SANDBOX_PROVIDER=${this.name}: the boot-time reaper could not list the provider's sandboxes: ${(error as Error).message}`);
      return 0;
    });
    if (reaped > 0) warnings.push(`deleted ${reaped} ${this.name} sandbox(es) of this deployment whose sessions are gone or archived`);
    const interval = this.options.sweepIntervalMs ?? Math.min(60_000, Math.max(1000, (this.options.idleTimeoutS * 1000) / 4));
    if (interval > 0 && !this.sweepTimer) {
      this.sweepTimer = setInterval(() => void this.sweep(), interval);
      this.sweepTimer.unref();
    }
    return warnings;
  }

  async open(sessionId: string, options: SandboxOpenOptions = {}): Promise<Sandbox> {
    assertSessionId(this.name, sessionId);
    const existing = this.live.get(sessionId);
    if (existing) {
      const { sandbox } = await existing;
      // Networking is fixed by the first open; the mounts follow the session's current list.
      await sandbox.applyMounts(allMounts(this.name, sessionId, options));
      return sandbox;
    }
    const entry = this.attach(sessionId, options);
    this.live.set(sessionId, entry);
    entry.catch(() => this.live.delete(sessionId));
    return (await entry).sandbox;
  }

  /** Reattaches to the session's recorded machine, or creates one (also when the provider lost it). */
  private async attach(sessionId: string, options: SandboxOpenOptions): Promise<LiveSandbox> {
    const { store, instanceId } = this.options;
    const deployment = await this.deployment();
    const session = await store.sessions.findAnyTenant(sessionId);
    const spec: RemoteCreateSpec = {
      tags: { deployment, instance: instanceId, tenant: session?.tenant_id ?? '', session: sessionId },
      network: this.networkFor(sessionId, options),
      idleTimeoutS: this.options.idleTimeoutS,
    };
    const row = await store.remoteSandboxes.find(sessionId);
    let machine: RemoteMachine | undefined;
    if (row?.sandbox_id) {
      const sandboxId = row.sandbox_id;
      machine = await this.call('connect', () => this.driver.connect(sandboxId, spec), sessionId);
      if (machine) await store.remoteSandboxes.touch(sessionId, instanceId, this.now());
      else this.log('warn', `${this.name} sandbox ${sandboxId} of session ${sessionId} is gone at the provider; creating a new one (its files are lost)`, { sessionId, sandboxId });
    }
    if (!machine) {
      const now = this.now();
      await store.remoteSandboxes.markCreating({ session_id: sessionId, provider: this.name, tenant_id: spec.tags.tenant, deployment_id: deployment, instance_id: instanceId, created_at: now, last_used_at: now });
      machine = await this.call('create', () => this.driver.create(spec), sessionId);
      await store.remoteSandboxes.markReady(sessionId, machine.sandboxId, instanceId, this.now());
    }
    const sandbox = await this.prepare(sessionId, machine, options).catch(async (error: unknown) => {
      throw this.toSandboxError('open', error, sessionId);
    });
    return { sandbox, lastTouch: this.now() };
  }

  private networkFor(sessionId: string, options: SandboxOpenOptions): RemoteNetwork {
    const networking = options.networking;
    if (!networking) return { mode: 'none' };
    if (networking.type === 'unrestricted') return { mode: 'unrestricted' };
    if (!this.options.proxyPublic || !options.egress) {
      throw new SandboxError({
        provider: this.name,
        operation: 'open',
        sandboxId: sessionId,
        message:
          `This session's environment has limited networking, which a ${this.name} sandbox can only give through the vault egress proxy, ` +
          'and the server does not know where the sandbox can reach it: set VAULT_PROXY_PUBLIC_URL to the proxy address as the provider\'s machines see it (docs/sandbox.md).',
      });
    }
    return { mode: 'proxy-only', proxy: this.options.proxyPublic };
  }

  /** Uploads the proxy CA, makes the memory mounts equal to the host's, and wraps the machine. */
  private async prepare(sessionId: string, machine: RemoteMachine, options: SandboxOpenOptions): Promise<RemoteSandbox> {
    let egressEnv: Record<string, string> = {};
    const egress = options.egress;
    if (egress && options.networking && this.options.proxyPublic) {
      const caCertPath = path.posix.join(machine.workdir, STATE_DIRECTORY_NAME, 'proxy-ca.pem');
      const pem = await readFile(egress.caCertPath);
      await this.retry(() => machine.upload(caCertPath, pem));
      egressEnv = egressEnvironment(egress, { endpoint: this.options.proxyPublic, caCertPath });
    }
    const mountList = allMounts(this.name, sessionId, options);
    const mounts = new MountSync(this.name, machine, mountList);
    await mounts.reset();
    return new RemoteSandbox({ provider: this.name, sessionId, machine, egressEnv, mounts, mountList, onUse: () => this.touch(sessionId, machine) });
  }

  /** Moves the idle clock (throttled) and tells the provider the machine is in use. */
  private touch(sessionId: string, machine: RemoteMachine): void {
    void this.live.get(sessionId)?.then(
      async (entry) => {
        const now = this.now();
        if (now - entry.lastTouch < TOUCH_INTERVAL_MS) return;
        entry.lastTouch = now;
        await this.options.store.remoteSandboxes.touch(sessionId, this.options.instanceId, now);
        await machine.keepAlive?.(this.options.idleTimeoutS);
      },
      () => undefined,
    ).catch((error: unknown) => this.log('warn', `could not record the use of ${this.name} sandbox ${machine.sandboxId}: ${(error as Error).message}`, { sessionId }));
  }

  async stop(sessionId: string): Promise<void> {
    const entry = await this.live.get(sessionId)?.catch(() => undefined);
    await entry?.sandbox.stop().catch((error: unknown) => this.log('warn', `could not stop the commands of ${this.name} sandbox ${entry.sandbox.sandboxId}: ${(error as Error).message}`, { sessionId }));
  }

  /** Session delete: kills its commands and deletes its machine at the provider. */
  async destroy(sessionId: string): Promise<void> {
    assertSessionId(this.name, sessionId);
    await this.stop(sessionId);
    this.live.delete(sessionId);
    const row = await this.options.store.remoteSandboxes.find(sessionId);
    if (row) await this.destroyRow(row, 'session deleted');
  }

  /** Session archive: the machine is deleted now (the sweep would, later). */
  async release(sessionId: string): Promise<void> {
    assertSessionId(this.name, sessionId);
    await this.stop(sessionId);
    this.live.delete(sessionId);
    const row = await this.options.store.remoteSandboxes.find(sessionId);
    if (row) await this.destroyRow(row, 'session archived');
  }

  async shutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping;
    await Promise.all([...this.live.keys()].map((sessionId) => this.stop(sessionId)));
  }

  /**
   * Deletes the machines of sessions that are gone or archived, and of sessions idle longer than
   * the idle timeout (not running a turn, no command in flight here). The next `open` of an idle
   * session creates a fresh machine.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    try {
      const rows = await this.options.store.remoteSandboxes.list(this.name, await this.deployment());
      for (const row of rows) {
        const session = await this.options.store.sessions.findAnyTenant(row.session_id);
        const reason = !session
          ? 'session deleted'
          : session.archived_at !== null
            ? 'session archived'
            : row.state === 'ready' && this.now() - Number(row.last_used_at) > this.options.idleTimeoutS * 1000 && session.status !== 'running' && !(await this.isBusy(row.session_id))
              ? `idle for more than ${this.options.idleTimeoutS} s (SANDBOX_IDLE_TIMEOUT_S)`
              : undefined;
        if (!reason) continue;
        await this.stop(row.session_id);
        this.live.delete(row.session_id);
        await this.destroyRow(row, reason).catch((error: unknown) => this.log('warn', `could not delete ${this.name} sandbox ${row.sandbox_id}: ${(error as Error).message}`, { sessionId: row.session_id }));
      }
    } catch (error) {
      this.log('warn', `${this.name} sandbox sweep failed: ${(error as Error).message}`);
    }
  }

  private async isBusy(sessionId: string): Promise<boolean> {
    const entry = await this.live.get(sessionId)?.catch(() => undefined);
    return entry?.sandbox.busy ?? false;
  }

  /**
   * The boot-time reaper: every machine the provider holds with this deployment's tag that is not
   * the recorded machine of a live (not archived) session is deleted, then the sweep runs over the
   * table. Returns how many machines it deleted.
   */
  async reap(): Promise<number> {
    const deployment = await this.deployment();
    const machines = await this.retry(() => this.driver.list(deployment));
    let deleted = 0;
    for (const machine of machines) {
      const sessionId = machine.tags.session;
      const row = sessionId ? await this.options.store.remoteSandboxes.find(sessionId) : undefined;
      const session = sessionId ? await this.options.store.sessions.findAnyTenant(sessionId) : undefined;
      const creating = row?.state === 'creating' && this.now() - Number(row.created_at) < CREATING_STALE_MS;
      const recorded = row?.sandbox_id === machine.sandboxId;
      if (session && session.archived_at === null && (recorded || creating)) continue;
      this.log('info', `reaping ${this.name} sandbox ${machine.sandboxId} (session ${sessionId ?? 'unknown'}: ${!session ? 'gone' : session.archived_at !== null ? 'archived' : 'not its recorded sandbox'})`);
      await this.retry(() => this.driver.destroy(machine.sandboxId));
      if (recorded && sessionId) await this.options.store.remoteSandboxes.remove(sessionId, machine.sandboxId);
      deleted++;
    }
    await this.sweepOnce();
    return deleted;
  }

  private async destroyRow(row: RemoteSandboxRow, reason: string): Promise<void> {
    if (row.sandbox_id) {
      const sandboxId = row.sandbox_id;
      this.log('info', `deleting ${this.name} sandbox ${sandboxId} of session ${row.session_id}: ${reason}`, { sessionId: row.session_id, sandboxId });
      await this.call('destroy', () => this.driver.destroy(sandboxId), row.session_id);
    }
    await this.options.store.remoteSandboxes.remove(row.session_id, row.sandbox_id);
  }

  /** A provider call with retries; failures become SandboxError carrying the provider's message. */
  private async call<T>(operation: string, call: () => Promise<T>, sessionId: string): Promise<T> {
    try {
      return await this.retry(call);
    } catch (error) {
      throw this.toSandboxError(operation, error, sessionId);
    }
  }

  private toSandboxError(operation: string, error: unknown, sessionId: string): SandboxError {
    if (error instanceof SandboxError) return error;
    const retried = error instanceof RemoteProviderError && error.retryable ? ` (gave up after ${(this.options.retry ?? DEFAULT_RETRY).attempts} attempts)` : '';
    return new SandboxError({ provider: this.name, operation, sandboxId: sessionId, message: `${this.name} ${operation} failed: ${(error as Error).message}${retried}`, cause: error });
  }
}
