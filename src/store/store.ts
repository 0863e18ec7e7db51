/**
 * The store: repositories over one database, plus transactions. Only store/ knows SQL and which
 * backend it runs on; callers get repositories scoped by tenant and `transaction`, which hands
 * them a Store bound to that transaction (inside it, use only the given store).
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { StoreDialect } from './dialect.ts';
import { AgentsRepository } from './agents-repository.ts';
import { EnvironmentsRepository } from './environments-repository.ts';
import { SessionsRepository } from './sessions-repository.ts';
import { EventsRepository } from './events-repository.ts';
import { LeasesRepository } from './leases-repository.ts';
import { MetaRepository } from './meta-repository.ts';
import { TenantsRepository } from './tenants-repository.ts';
import { InvitationsRepository } from './invitations-repository.ts';
import { SandboxUidsRepository } from './sandbox-uids-repository.ts';
import { RemoteSandboxesRepository } from './remote-sandboxes-repository.ts';
import { ModelCardsRepository } from './model-cards-repository.ts';
import { VaultsRepository } from './vaults-repository.ts';
import { MemoryStoresRepository } from './memory-stores-repository.ts';
import { MemoriesRepository } from './memories-repository.ts';
import { MemoryVersionsRepository } from './memory-versions-repository.ts';
import { FilesRepository } from './files-repository.ts';
import { SkillsRepository } from './skills-repository.ts';
import { WebhooksRepository } from './webhooks-repository.ts';
import { DeploymentsRepository } from './deployments-repository.ts';
import { DeploymentRunsRepository } from './deployment-runs-repository.ts';
import { SessionRepositoriesRepository } from './session-repositories-repository.ts';
import { toJson } from './json.ts';
import { toStoredEvent } from './events-repository.ts';
import type { AppendBatch } from './event-append.ts';
import type { StoredEvent } from '../events/types.ts';

/** What `Store.appendEvents` takes: AppendBatch with payloads as values (serialised here). */
export interface AppendEventsInput extends Omit<AppendBatch, 'rows'> {
  events: { id: string; type: string; payload: unknown; processedAt: number | null }[];
}

export type AppendEventsResult = { kind: 'ok'; events: StoredEvent[] } | { kind: 'lease_lost' } | { kind: 'not_found' };

export class Store {
  readonly agents: AgentsRepository;
  readonly environments: EnvironmentsRepository;
  readonly sessions: SessionsRepository;
  readonly events: EventsRepository;
  readonly leases: LeasesRepository;
  readonly meta: MetaRepository;
  readonly tenants: TenantsRepository;
  readonly invitations: InvitationsRepository;
  readonly sandboxUids: SandboxUidsRepository;
  readonly remoteSandboxes: RemoteSandboxesRepository;
  readonly modelCards: ModelCardsRepository;
  readonly vaults: VaultsRepository;
  readonly memoryStores: MemoryStoresRepository;
  readonly memories: MemoriesRepository;
  readonly memoryVersions: MemoryVersionsRepository;
  readonly files: FilesRepository;
  readonly skills: SkillsRepository;
  /** Webhook endpoints and the outbox: `tx.webhooks.enqueue(...)` inside the triggering change's transaction. */
  readonly webhooks: WebhooksRepository;
  readonly deployments: DeploymentsRepository;
  readonly deploymentRuns: DeploymentRunsRepository;
  readonly sessionRepositories: SessionRepositoriesRepository;

  constructor(readonly dialect: StoreDialect, readonly db: Kysely<Database> = dialect.db) {
    this.agents = new AgentsRepository(db);
    this.environments = new EnvironmentsRepository(db);
    this.sessions = new SessionsRepository(db);
    this.events = new EventsRepository(db);
    this.leases = new LeasesRepository(db);
    this.meta = new MetaRepository(db);
    this.tenants = new TenantsRepository(db);
    this.invitations = new InvitationsRepository(db);
    this.sandboxUids = new SandboxUidsRepository(db);
    this.remoteSandboxes = new RemoteSandboxesRepository(db);
    this.modelCards = new ModelCardsRepository(db);
    this.vaults = new VaultsRepository(db);
    this.memoryStores = new MemoryStoresRepository(db);
    this.memories = new MemoriesRepository(db);
    this.memoryVersions = new MemoryVersionsRepository(db);
    this.files = new FilesRepository(db);
    this.skills = new SkillsRepository(db);
    this.webhooks = new WebhooksRepository(db);
    this.deployments = new DeploymentsRepository(db);
    this.deploymentRuns = new DeploymentRunsRepository(db);
    this.sessionRepositories = new SessionRepositoriesRepository(db);
  }

  /** Runs fn in one transaction; commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.dialect.transaction((db) => fn(new Store(this.dialect, db)));
  }

  /**
   * The event log's append in one atomic unit (StoreDialect.appendEvents): committed when it
   * resolves. Only on the root store: inside `transaction` use `events.append`.
   */
  async appendEvents(input: AppendEventsInput): Promise<AppendEventsResult> {
    if (this.db !== this.dialect.db) throw new Error('Store.appendEvents runs its own transaction; inside a transaction use events.append');
    const { events, ...rest } = input;
    const rows = events.map((e) => ({ id: e.id, type: e.type, payload: toJson(e.payload), processedAt: e.processedAt }));
    const outcome = await this.dialect.appendEvents({ ...rest, rows });
    if (outcome.kind !== 'ok') return outcome;
    return {
      kind: 'ok',
      events: rows.map((r, i) => toStoredEvent({
        session_id: input.sessionId, seq: outcome.firstSeq + i, id: r.id, tenant_id: input.tenantId, type: r.type, payload: r.payload, processed_at: r.processedAt, created_at: input.now,
      })),
    };
  }

  /** See StoreDialect.readAuthEpoch. */
  readAuthEpoch(): Promise<number> {
    return this.dialect.readAuthEpoch();
  }

  isUniqueViolation(err: unknown): boolean {
    return this.dialect.isUniqueViolation(err);
  }

  get description(): string {
    return this.dialect.description;
  }

  ping(): Promise<void> {
    return this.dialect.ping();
  }

  close(): Promise<void> {
    return this.dialect.close();
  }
}
