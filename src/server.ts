/**
 * Assembles a running server from a Config: store (migrated), secrets check, hub, services,
 * harness, HTTP listener. Used by main.ts and by the tests, which boot the real thing on port 0.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { lockDataDir } from './ops/data-dir-lock.ts';
import { checkRootSecret } from './vault/root-secret-check.ts';
import { AesGcmSecretBox } from './vault/secret-box.ts';
import { startVaultEgress, type VaultEgress } from './vault/proxy/vault-egress.ts';
import { InProcessEventHub } from './events/hub.ts';
import { CrossInstanceRelay } from './events/cross-instance-relay.ts';
import { NOTIFY_CHANNEL } from './store/postgres/notify-triggers.ts';
import type { NotificationListener } from './store/dialect.ts';
import { createServices, type Services } from './services.ts';
import { createApp } from './app.ts';
import { createRuntime, type Runtime } from './harness/runtime.ts';
import type { ModelClient } from './harness/model/model-client.ts';
import type { Clock } from './lib/clock.ts';
import type { IdSource } from './lib/ids.ts';
import { createConsoleAuth, type ConsoleAuth } from './auth/console-auth.ts';
import { createEmailSender } from './auth/email.ts';
import { createFileBlobStore, createMemoryBlobStore } from './blobs/create-blob-store.ts';
import { prepareUploadDir } from './files/upload-dir.ts';
import { DeploymentScheduler } from './deployments/scheduler.ts';
import { systemClock } from './lib/clock.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

export interface RunningServer {
  url: string;
  port: number;
  services: Services;
  runtime: Runtime;
  /** Polls for due deployment slots and expired run claims (tests call `tick()` directly). */
  scheduler: DeploymentScheduler;
  /** Fans out and sends webhook deliveries (polls every WEBHOOK_POLL_MS; tests call runOnce). */
  webhooks: WebhookDispatcher;
  /** Graceful stop: close the listener, let requests finish, stop the harness, close the database. */
  close(): Promise<void>;
}

/**
 * The DATA_DIR lock first, before the database or a sandbox is touched (a second server on this
 * DATA_DIR stops here), then the migrated store and the root-secret check.
 */
async function openLocked(config: Config): Promise<{ store: Store; release(): Promise<void> }> {
  const dataDirLock = lockDataDir(config.dataDir);
  try {
    const store = await openStore(config.database, { instanceId: config.instanceId });
    await checkRootSecret(store, config.secrets.platformRootSecret).catch(async (err: unknown) => {
      await store.close();
      throw err;
    });
    return { store, release: () => store.close().finally(() => dataDirLock.release()) };
  } catch (err) {
    dataDirLock.release();
    throw err;
  }
}

interface ServerParts {
  server: ServerType;
  relay: NotificationListener | undefined;
  runtime: Runtime;
  scheduler: DeploymentScheduler;
  webhooks: WebhookDispatcher;
  store: Store;
  logger: Logger;
  egress: VaultEgress;
  auth: ConsoleAuth;
  storage: { release(): Promise<void> };
}

/** The graceful stop, in order: listener, relay, harness (leases handed over), egress, sockets, auth, database and lock. */
async function closeServer(p: ServerParts): Promise<void> {
  const { server } = p;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Open SSE streams never end on their own; close idle keep-alive sockets and then the rest.
  (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  await p.relay?.close();
  await p.scheduler.stop();
  await p.webhooks.stop();
  const released = await p.runtime.shutdown();
  await CrossInstanceRelay.handOver(p.store.dialect, NOTIFY_CHANNEL, released).catch((err: unknown) => p.logger.warn({ err }, 'handover notification failed; other instances take the sessions at their next sweep'));
  await p.egress.close();
  const timer = setTimeout(() => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(), 2000);
  await closed;
  clearTimeout(timer);
  await p.auth.close();
  await p.storage.release();
}

/** Ports a caller may supply instead of the configured ones (tests: a model that misbehaves on purpose). */
export interface ServerPorts {
  model?: ModelClient;
  /** The one clock and id source of the services (default: system time, random time-sorted ids). */
  clock?: Clock;
  ids?: IdSource;
}

export async function startServer(config: Config, logger: Logger, ports: ServerPorts = {}): Promise<RunningServer> {
  const storage = await openLocked(config);
  const { store } = storage;
  let httpServer: ServerType | undefined;
  let consoleAuth: ConsoleAuth | undefined;
  let relay: NotificationListener | undefined;
  let egress: VaultEgress | undefined;
  try {
    await prepareUploadDir(config.files.uploadDir);
    const hub = new InProcessEventHub();
    const runtime = await createRuntime({ config, store, hub, logger, model: ports.model, clock: ports.clock });
    const services = createServices({ store, hub, lifecycle: runtime.lifecycle, secretBox: new AesGcmSecretBox(config.secrets.platformRootSecret), vault: config.vault, modelFallback: Boolean(config.model.apiKey), modelCardPrivateHosts: config.model.cardAllowedPrivateHosts, blobs: { memory: createMemoryBlobStore(config), files: createFileBlobStore(config) }, files: config.files, git: config.git, clock: ports.clock, ids: ports.ids, deployments: { owner: config.instanceId, claimTtlMs: config.leaseTtlMs, stallAt: config.deployments.stallAt, logger }, mcpMaxResultBytes: config.mcp.maxResultBytes });
    egress = await startVaultEgress({ config, store, secretBox: services.secretBox, logger });
    runtime.attach(services, { egress: egress.planner });
    consoleAuth = await createConsoleAuth({ config, store, logger, sendEmail: createEmailSender(config.auth.smtp, logger) });
    const app = createApp({
      services,
      logger,
      maxBodyBytes: config.maxBodyBytes,
      testEmit: config.testEmit,
      auth: { disabled: config.auth.disabled, publicUrl: config.auth.publicUrl },
      security: config.security,
      consoleAuth,
      consoleDir: config.consoleDir,
      backends: () => ({ db: store.description, agents: store.dialect.kind, events: store.dialect.kind, sandbox: runtime.sandboxName, memory_blobs: services.memoryBlobs.description, file_blobs: services.fileBlobs.description, vault_proxy: egress?.description ?? 'none', hub: relay ? 'postgres-notify' : 'in-process' }),
    });
    // Listen for other instances before the first sweep (input posted to another instance meanwhile is
    // not missed) and before the port opens (a client that sees /health finds this instance registered).
    relay = await CrossInstanceRelay.start(store.dialect, NOTIFY_CHANNEL, { store, hub, log: services.log, lifecycle: runtime.lifecycle, sweep: () => runtime.sweep(), logger });
    httpServer = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
      s.once('error', reject);
    });
    const server = httpServer;
    const auth = consoleAuth;
    const egressOf = egress;
    const address = server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    await runtime.start();
    const scheduler = new DeploymentScheduler({ store, executor: services.deploymentRuns, clock: ports.clock ?? systemClock, pollMs: config.deployments.pollMs, logger });
    scheduler.start();
    const webhooks = new WebhookDispatcher({ store, secretBox: services.secretBox, http: services.webhookHttp, logger, owner: config.instanceId, leaseTtlMs: config.leaseTtlMs, pollMs: config.webhookPollMs, retentionMs: config.webhookRetentionMs, clock: ports.clock });
    webhooks.start();
    let closing: Promise<void> | undefined;
    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
      port: address.port,
      services,
      runtime,
      scheduler,
      webhooks,
      close() {
        closing ??= closeServer({ server, relay, runtime, scheduler, webhooks, store, logger, egress: egressOf, auth, storage });
        return closing;
      },
    };
  } catch (err) {
    await relay?.close();
    await egress?.close();
    httpServer?.close();
    await consoleAuth?.close();
    await storage.release();
    throw err;
  }
}
