/** SQL for agents and their immutable versions. Every query is scoped by tenant. */
import type { Kysely } from 'kysely';
import type { AgentTable, Database } from './schema.ts';
import { parseJson, toJson } from './json.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';
import type { Agent, AgentConfig } from '../api/schemas/agents.ts';
import { toIso } from '../lib/time.ts';

export interface AgentVersionRow { config: string; version: number; created_at: number }

export function toAgent(agent: AgentTable, version: AgentVersionRow): Agent {
  const config = parseJson<AgentConfig>(version.config, 'agent_versions.config');
  return {
    id: agent.id,
    type: 'agent',
    ...config,
    version: version.version,
    created_at: toIso(agent.created_at),
    updated_at: toIso(version.created_at),
    archived_at: toIso(agent.archived_at),
  };
}

export class AgentsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(tenantId: string, id: string, config: AgentConfig, now: number): Promise<void> {
    await this.db.insertInto('agents').values({ id, tenant_id: tenantId, name: config.name, version: 1, created_at: now, updated_at: now, archived_at: null }).execute();
    await this.db.insertInto('agent_versions').values({ agent_id: id, version: 1, tenant_id: tenantId, config: toJson(config), created_at: now }).execute();
  }

  async find(tenantId: string, id: string): Promise<AgentTable | undefined> {
    return this.db.selectFrom('agents').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  async findVersion(tenantId: string, id: string, version: number): Promise<AgentVersionRow | undefined> {
    return this.db
      .selectFrom('agent_versions')
      .select(['config', 'version', 'created_at'])
      .where('agent_id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  /** Appends version `version` and moves the agent to it; returns false if another writer got there first. */
  async addVersion(tenantId: string, id: string, options: { expected: number; config: AgentConfig; now: number }): Promise<boolean> {
    const next = options.expected + 1;
    const updated = await this.db
      .updateTable('agents')
      .set({ version: next, name: options.config.name, updated_at: options.now })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('version', '=', options.expected)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return false;
    await this.db.insertInto('agent_versions').values({ agent_id: id, version: next, tenant_id: tenantId, config: toJson(options.config), created_at: options.now }).execute();
    return true;
  }

  async archive(tenantId: string, id: string, now: number): Promise<void> {
    await this.db.updateTable('agents').set({ archived_at: now, updated_at: now }).where('id', '=', id).where('tenant_id', '=', tenantId).where('archived_at', 'is', null).execute();
  }

  async list(tenantId: string, options: { limit: number; page?: string; includeArchived: boolean; createdGte?: number; createdLte?: number }): Promise<Page<Agent>> {
    const cursor = decodeCursor(options.page, 'desc');
    let q = this.db
      .selectFrom('agents')
      .innerJoin('agent_versions', (j) => j.onRef('agent_versions.agent_id', '=', 'agents.id').onRef('agent_versions.version', '=', 'agents.version'))
      .select(['agents.id', 'agents.tenant_id', 'agents.name', 'agents.version', 'agents.created_at', 'agents.updated_at', 'agents.archived_at', 'agent_versions.config', 'agent_versions.created_at as version_created_at'])
      .where('agents.tenant_id', '=', tenantId);
    if (!options.includeArchived) q = q.where('agents.archived_at', 'is', null);
    if (options.createdGte !== undefined) q = q.where('agents.created_at', '>=', options.createdGte);
    if (options.createdLte !== undefined) q = q.where('agents.created_at', '<=', options.createdLte);
    const rows = await keysetPage(q, { key: 'agents.created_at', id: 'agents.id', after: cursor, dir: 'desc', limit: options.limit }).execute();
    return toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, (r) =>
      toAgent(r, { config: r.config, version: r.version, created_at: r.version_created_at }),
    );
  }

  async listVersions(tenantId: string, agent: AgentTable, options: { limit: number; page?: string }): Promise<Page<Agent>> {
    const cursor = decodeCursor(options.page, 'desc');
    const q = this.db.selectFrom('agent_versions').select(['config', 'version', 'created_at']).where('agent_id', '=', agent.id).where('tenant_id', '=', tenantId);
    // The version alone orders an agent's versions (the primary key (agent_id, version) serves it).
    const rows = await keysetPage(q, { key: 'version', after: cursor, dir: 'desc', limit: options.limit }).execute();
    return toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: r.version, id: agent.id }) }, (r) => toAgent(agent, r));
  }
}
