/**
 * Wires the harness to its ports for a server: sandbox provider (checked at boot), built-in tools,
 * the model router (model cards, else the server's key), and the session lifecycle hooks the services call.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import type { EventHub } from '../events/hub.ts';
import type { Services } from '../services.ts';
import type { SessionLifecycle } from '../sessions/session-service.ts';
import { createSandboxProvider } from '../sandbox/registry.ts';
import { createBuiltinTools } from '../tools/registry.ts';
import { ModelRouter } from './model/model-router.ts';
import { createModelCardFetch } from '../net/model-egress.ts';
import { Harness, type HarnessOptions } from './harness.ts';
import { join } from 'node:path';
import { SessionMemoryMounts } from '../memory/session-memory-mounts.ts';
import { SessionFileMounts } from '../files/session-file-mounts.ts';
import { SessionSkills } from '../skills/session-skills.ts';
import { SessionRepositoryCheckouts } from '../repos/session-repository-checkouts.ts';
import { StoreUidLedger } from '../sandbox/store-uid-ledger.ts';
import { DEFAULT_UID_RANGE } from '../sandbox/bwrap-host.ts';
import type { ModelClient } from './model/model-client.ts';
import type { Clock } from '../lib/clock.ts';
import { McpSessions } from '../tools/mcp/mcp-sessions.ts';

export interface Runtime {
  lifecycle: SessionLifecycle;
  sandboxName: string;
  /** Connects the harness to the services; `egress` gives sandboxes the vault proxy. */
  attach(services: Services, extras?: { egress?: HarnessOptions['egress'] }): void;
  start(): Promise<void>;
  /** Wakes every session that needs work and is not leased elsewhere (also run periodically). */
  sweep(): Promise<void>;
  /** Stops the harness; returns the sessions whose leases it gave up (see Harness.shutdown). */
  shutdown(): Promise<string[]>;
}

export async function createRuntime(options: { config: Config; store: Store; hub: EventHub; logger: Logger; model?: ModelClient; clock?: Clock }): Promise<Runtime> {
  const { config, store, logger } = options;
  const { provider, warnings } = createSandboxProvider({
    name: config.sandbox.provider,
    workdirRoot: config.sandbox.workdir,
    instanceId: config.instanceId,
    uids: new StoreUidLedger(store, DEFAULT_UID_RANGE),
    hiddenPaths: [config.dataDir, config.authDatabasePath, ...(config.database.kind === 'sqlite' ? [config.database.path] : [])],
    remote: { config: config.sandbox, store, log: (level, message, details) => logger[level](details ?? {}, message) },
  });
  const checkWarnings = await provider.check();
  for (const w of [...warnings, ...checkWarnings]) logger.warn(w);
  const tools = createBuiltinTools({});
  let harness: Harness | undefined;
  const pending: string[] = [];
  const lifecycle: SessionLifecycle = {
    wake: (id, wakeOptions) => (harness ? harness.wake(id, wakeOptions) : pending.push(id)),
    stop: (id) => (harness ? harness.stop(id) : provider.stop(id)),
    destroy: (id) => (harness ? harness.destroy(id) : provider.destroy(id)),
    archived: async (id) => {
      await provider.release?.(id);
    },
  };
  return {
    lifecycle,
    sandboxName: provider.name,
    attach(services, extras) {
      // Per request: the tenant's model card for the model id, else its default card, else the server's key.
      const model = options.model ?? new ModelRouter({
        findCard: (tenantId, modelId) => services.modelCards.findServing(tenantId, modelId),
        fallback: { apiKey: config.model.apiKey, baseURL: config.model.baseURL },
        tuning: { idleTimeoutMs: 5 * 60_000, onNote: (note, cardId) => logger.debug({ cardId }, note) },
        cardFetch: createModelCardFetch(config.model.cardAllowedPrivateHosts),
      });
      harness = new Harness({
        store,
        clock: options.clock,
        log: services.log,
        model,
        tools,
        sandboxes: provider,
        logger,
        owner: config.instanceId,
        leaseTtlMs: config.leaseTtlMs,
        retry: { maxRetries: config.model.maxRetries, baseMs: config.model.retryBaseMs },
        egress: extras?.egress,
        prices: (tenantId, modelId) => services.modelCards.priceFor(tenantId, modelId),
        ...createSessionMounts(config, store, services, logger),
        mcp: new McpSessions({ access: services.mcpAccess, limits: config.mcp, logger }),
        repositories: new SessionRepositoryCheckouts({ store, secretBox: services.secretBox, workdirRoot: config.sandbox.workdir, allowedPrivateHosts: config.git.allowedPrivateHosts, logger, provider: provider.name }),
      });
    },
    async start() {
      await harness!.start();
      for (const id of pending.splice(0)) harness!.wake(id);
    },
    async sweep() {
      await harness?.sweep();
    },
    async shutdown() {
      return (await harness?.shutdown()) ?? [];
    },
  };
}

/** What the harness mounts into sandboxes: memory stores, files and outputs, skills (host side under SANDBOX_WORKDIR). */
function createSessionMounts(config: Config, store: Store, services: Services, logger: Logger): Pick<HarnessOptions, 'memory' | 'sessionFiles' | 'skills'> {
  const root = join(config.sandbox.workdir, '.mounts');
  return {
    memory: new SessionMemoryMounts({ store, blobs: services.memoryBlobs, root: join(config.sandbox.workdir, '.memory') }),
    sessionFiles: new SessionFileMounts({ store, blobs: services.fileBlobs, files: services.files, root, spoolDir: config.files.uploadDir, maxOutputBytes: config.files.maxBytes, logger }),
    skills: new SessionSkills({ skills: services.skills, root, logger }),
  };
}
