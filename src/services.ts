/** Builds the services over one store and hub; the harness plugs in through SessionLifecycle. */
import type { Store } from './store/store.ts';
import type { EventHub } from './events/hub.ts';
import { EventLog } from './events/log.ts';
import { AgentService } from './agents/agent-service.ts';
import { EnvironmentService } from './environments/environment-service.ts';
import { SessionService, type SessionLifecycle } from './sessions/session-service.ts';
import { SessionEventsService } from './sessions/session-events-service.ts';
import { ModelCardService } from './model-cards/model-card-service.ts';
import type { SecretBox } from './vault/secret-box.ts';
import type { VaultConfig } from './config/schema.ts';
import { VaultService } from './vault/vault-service.ts';
import { EgressPolicy } from './vault/egress-policy.ts';
import { VaultHttp } from './vault/vault-http.ts';
import { OAuthRefresher } from './vault/oauth-refresh.ts';
import { CredentialValidator } from './vault/credential-validator.ts';
import { VaultMcpAccess } from './vault/mcp-access.ts';
import type { BlobStore } from './blobs/blob-store.ts';
import type { Logger } from 'pino';
import type { Clock } from './lib/clock.ts';
import type { IdSource } from './lib/ids.ts';
import { SessionResourceService } from './sessions/session-resource-service.ts';
import { MemoryStoreService } from './memory/memory-store-service.ts';
import { MemoryService } from './memory/memory-service.ts';
import { MemoryVersionService } from './memory/memory-version-service.ts';
import { FileService } from './files/file-service.ts';
import { SkillService } from './skills/skill-service.ts';
import type { Config } from './config/schema.ts';
import { systemClock } from './lib/clock.ts';
import { randomIds } from './lib/ids.ts';
import { DeploymentService } from './deployments/deployment-service.ts';
import { RunExecutor, type DeploymentEventSink, type StallPoint } from './deployments/run-executor.ts';
import { WebhookService } from './webhooks/webhook-service.ts';

export interface Services {
  store: Store;
  log: EventLog;
  agents: AgentService;
  environments: EnvironmentService;
  sessions: SessionService;
  sessionEvents: SessionEventsService;
  /** Seals and opens every secret kept at rest (vault credentials, model-card keys, tokens); see vault/secret-box.ts. */
  secretBox: SecretBox;
  modelCards: ModelCardService;
  vaults: VaultService;
  oauthRefresher: OAuthRefresher;
  credentialValidator: CredentialValidator;
  /** How the server's MCP client reaches MCP servers: egress policy and the session's vault credentials. */
  mcpAccess: VaultMcpAccess;
  sessionResources: SessionResourceService;
  memoryStores: MemoryStoreService;
  memories: MemoryService;
  memoryVersions: MemoryVersionService;
  /** Where memory content lives (MEMORY_BLOB_DIR or MEMORY_S3_*). */
  memoryBlobs: BlobStore;
  files: FileService;
  skills: SkillService;
  /** Where file and skill bytes live (FILES_BLOB_DIR or MEMORY_S3_* under files/). */
  fileBlobs: BlobStore;
  deployments: DeploymentService;
  /** Claims and runs deployment runs (the scheduler in server.ts drives it for scheduled ones). */
  deploymentRuns: RunExecutor;
  webhooks: WebhookService;
  /** How webhook deliveries are POSTed: the vault egress policy (VAULT_ALLOWED_PRIVATE_HOSTS), no redirects. */
  webhookHttp: VaultHttp;
}

export interface ServiceDependencies {
  store: Store;
  hub: EventHub;
  lifecycle: SessionLifecycle;
  secretBox: SecretBox;
  vault: Pick<VaultConfig, 'allowedPrivateHosts' | 'upstreamCaFile'>;
  /** Whether the server has ANTHROPIC_API_KEY: agents may then name model ids no card serves. */
  modelFallback: boolean;
  /** Hosts model cards may reach although not public (MODEL_CARD_ALLOWED_PRIVATE_HOSTS). */
  modelCardPrivateHosts?: string[];
  blobs: { memory: BlobStore; files: BlobStore };
  files: Config['files'];
  /** GIT_BASE_URL: where github_repository resources may point. */
  git: Pick<Config['git'], 'baseUrl'>;
  /** Time and ids for what the services write (tests pass controllable ones). */
  clock?: Clock;
  ids?: IdSource;
  /** This instance's claims on deployment runs (INSTANCE_ID, LEASE_TTL_MS) and the test stall point. */
  deployments: { owner: string; claimTtlMs: number; stallAt?: StallPoint; logger?: Logger };
  /** MCP_MAX_RESULT_BYTES: bounds what the server reads of one MCP response. */
  mcpMaxResultBytes?: number;
}

/** Deployment webhook events go to the webhooks outbox, in the caller's transaction (see webhook-outbox-api). */
const toOutbox: DeploymentEventSink = async (tx, tenantId, data, now) => {
  await tx.webhooks.enqueue(tenantId, data, { now });
};

export function createServices({ store, hub, lifecycle, secretBox, vault, modelFallback, modelCardPrivateHosts, blobs, files: filesConfig, git, clock, ids, deployments: deploymentConfig, mcpMaxResultBytes }: ServiceDependencies): Services {
  const log = new EventLog(store, hub, { clock, ids });
  const modelCards = new ModelCardService({ store, secretBox, allowedPrivateHosts: modelCardPrivateHosts });
  const skills = new SkillService({ store, blobs: blobs.files, uploadDir: filesConfig.uploadDir });
  const agents = new AgentService(store, { checkModel: (tenantId, model) => modelCards.assertServable(tenantId, model, modelFallback), resolveSkills: (tenantId, refs) => skills.resolveRefs(tenantId, refs) });
  const environments = new EnvironmentService(store);
  const vaults = new VaultService({ store, secretBox });
  const policy = new EgressPolicy(vault.allowedPrivateHosts);
  const http = new VaultHttp({ policy, upstreamCaFile: vault.upstreamCaFile });
  const oauthRefresher = new OAuthRefresher({ store, secretBox, http });
  const mcpAccess = new VaultMcpAccess({ store, refresher: oauthRefresher, policy, ca: http.trustedCa, maxResultBytes: mcpMaxResultBytes });
  const credentialValidator = new CredentialValidator({ vaults, refresher: oauthRefresher, http });
  const sessions = new SessionService({ store, agents, environments, vaults, log, lifecycle, prices: (tenantId, model) => modelCards.priceFor(tenantId, model), secretBox, git, clock, ids });
  const sessionEvents = new SessionEventsService({ store, log, sessions, lifecycle });
  const memoryStores = new MemoryStoreService({ store, blobs: blobs.memory });
  const memories = new MemoryService({ store, blobs: blobs.memory });
  const memoryVersions = new MemoryVersionService({ store, blobs: blobs.memory });
  const files = new FileService({ store, blobs: blobs.files, uploads: { dir: filesConfig.uploadDir, maxBytes: filesConfig.maxBytes } });
  const prices = (tenantId: string, model: string) => modelCards.priceFor(tenantId, model);
  const deploymentRuns = new RunExecutor({ store, sessions, clock: clock ?? systemClock, ids: ids ?? randomIds, emit: toOutbox, ...deploymentConfig });
  const deployments = new DeploymentService({ store, agents, environments, vaults, prices, executor: deploymentRuns, emit: toOutbox, clock: clock ?? systemClock, ids: ids ?? randomIds, logger: deploymentConfig.logger });
  return {
    deployments, deploymentRuns,
    store, log, agents, environments, sessions, sessionEvents, secretBox, modelCards, vaults, oauthRefresher, credentialValidator, mcpAccess,
    sessionResources: new SessionResourceService({ sessions, store, secretBox }), memoryStores, memories, memoryVersions, memoryBlobs: blobs.memory, files, skills, fileBlobs: blobs.files,
    webhooks: new WebhookService({ store, secretBox, policy, clock, ids }), webhookHttp: http,
  };
}
