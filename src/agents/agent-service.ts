/** Agent rules: create, versioned updates with optimistic concurrency, archive, lists. */
import { ConflictError, InvalidRequestError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import { toAgent } from '../store/agents-repository.ts';
import type { Agent, AgentConfig, AgentCreate, AgentUpdate } from '../api/schemas/agents.ts';
import { resolveModel, resolveSkills, resolveTools, validateAgentConfig } from './resolve-config.ts';
import { isDeepStrictEqual } from 'node:util';

function applyMetadataPatch(current: Record<string, string>, patch: Record<string, string | null> | null | undefined): Record<string, string> {
  if (patch === undefined) return current;
  if (patch === null) return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > 16) throw new InvalidRequestError('metadata: at most 16 pairs', { details: { error_code: 'invalid_metadata' } });
  return next;
}

export { applyMetadataPatch };

/** Throws InvalidRequestError when no provider would serve `model` for the tenant (see ModelCardService.assertServable). */
export type ModelCheck = (tenantId: string, model: string) => Promise<void>;
/** Checks custom skill references of the tenant and pins each `version` to a concrete one. */
export type SkillResolver = (tenantId: string, skills: ResolvedSkillRef[]) => Promise<ResolvedSkillRef[]>;
export interface ResolvedSkillRef { type: string; skill_id: string; version: string }

export class AgentService {
  constructor(private readonly store: Store, private readonly options: { checkModel?: ModelCheck; resolveSkills?: SkillResolver } = {}) {}

  /** Refuses a model id nothing would serve for this tenant (no card lists it, no default card, no server key). */
  async checkModel(tenantId: string, model: string): Promise<void> {
    await this.options.checkModel?.(tenantId, model);
  }

  /** The skills with custom ids checked (400 when unknown) and versions pinned. */
  async resolveSkillRefs(tenantId: string, skills: ResolvedSkillRef[]): Promise<ResolvedSkillRef[]> {
    return this.options.resolveSkills ? this.options.resolveSkills(tenantId, skills) : skills;
  }

  async create(tenantId: string, input: AgentCreate): Promise<Agent> {
    const config: AgentConfig = {
      name: input.name,
      description: input.description ?? null,
      system: input.system ?? null,
      model: resolveModel(input.model),
      tools: resolveTools(input.tools),
      mcp_servers: input.mcp_servers ?? [],
      skills: await this.resolveSkillRefs(tenantId, resolveSkills(input.skills)),
      metadata: input.metadata ?? {},
      multiagent: null,
      execution_identity: input.execution_identity ?? { type: 'service_account' },
    };
    validateAgentConfig(config);
    await this.checkModel(tenantId, config.model.id);
    const id = newId('agent');
    await this.store.transaction((tx) => tx.agents.insert(tenantId, id, config, Date.now()));
    return this.get(tenantId, id);
  }

  /** Throws NotFoundError when the agent (or that version) is not in the tenant. */
  async get(tenantId: string, id: string, version?: number): Promise<Agent> {
    const agent = await this.store.agents.find(tenantId, id);
    if (!agent) throw notFound('agent', id);
    const row = await this.store.agents.findVersion(tenantId, id, version ?? agent.version);
    if (!row) throw notFound(`version ${version} of agent`, id);
    return toAgent(agent, row);
  }

  async update(tenantId: string, id: string, input: AgentUpdate): Promise<Agent> {
    const current = await this.get(tenantId, id);
    if (current.archived_at) throw new InvalidRequestError(`agent ${id} is archived and read-only; create a new agent instead`);
    if (input.version !== undefined && input.version !== current.version) {
      throw new ConflictError(`agent version ${input.version} does not match current version ${current.version}; retrieve the agent and retry with version ${current.version}`);
    }
    const { id: _id, type: _type, version: _v, created_at: _c, updated_at: _u, archived_at: _a, ...base } = current;
    const next: AgentConfig = {
      ...base,
      name: input.name ?? base.name,
      description: input.description === undefined ? base.description : input.description || null,
      system: input.system === undefined ? base.system : input.system || null,
      model: input.model === undefined ? base.model : resolveModel(input.model, base.model),
      tools: input.tools === undefined ? base.tools : resolveTools(input.tools),
      mcp_servers: input.mcp_servers === undefined ? base.mcp_servers : (input.mcp_servers ?? []),
      skills: input.skills === undefined ? base.skills : await this.resolveSkillRefs(tenantId, resolveSkills(input.skills)),
      metadata: applyMetadataPatch(base.metadata, input.metadata),
      execution_identity: input.execution_identity === undefined ? base.execution_identity : (input.execution_identity ?? { type: 'service_account' }),
    };
    validateAgentConfig(next);
    if (isDeepStrictEqual(next, base)) return current;
    if (next.model.id !== base.model.id) await this.checkModel(tenantId, next.model.id);
    const moved = await this.store.transaction((tx) => tx.agents.addVersion(tenantId, id, { expected: current.version, config: next, now: Date.now() }));
    if (!moved) throw new ConflictError(`agent ${id} was updated concurrently; retrieve it and retry`);
    return this.get(tenantId, id);
  }

  async archive(tenantId: string, id: string): Promise<Agent> {
    await this.get(tenantId, id);
    await this.store.agents.archive(tenantId, id, Date.now());
    return this.get(tenantId, id);
  }

  async listVersions(tenantId: string, id: string, options: { limit: number; page?: string }) {
    const agent = await this.store.agents.find(tenantId, id);
    if (!agent) throw notFound('agent', id);
    return this.store.agents.listVersions(tenantId, agent, options);
  }
}
