/**
 * Session rules: resolving the agent snapshot and environment at create, updates, archive and
 * delete. Running the agent is the harness's job; this service tells it through `SessionLifecycle`.
 */
import { ConflictError, InvalidRequestError, notFound } from '../errors.ts';
import { randomIds, type IdSource } from '../lib/ids.ts';
import { enqueueSessionDeleted, fanOutBeforeDelete } from '../webhooks/session-fanout.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { Store } from '../store/store.ts';
import type { SessionTable } from '../store/schema.ts';
import { toJson, parseJson } from '../store/json.ts';
import type { AgentService } from '../agents/agent-service.ts';
import { applyMetadataPatch } from '../agents/agent-service.ts';
import type { EnvironmentService } from '../environments/environment-service.ts';
import type { VaultService } from '../vault/vault-service.ts';
import type { Session, SessionCreate, SessionUpdate } from '../api/schemas/sessions.ts';
import { resolveFileResources } from './session-files.ts';
import { resolveRepositoryResources } from './session-repositories.ts';
import type { SecretBox } from '../vault/secret-box.ts';
import { resolveModel, resolveSkills, resolveTools, validateAgentConfig } from '../agents/resolve-config.ts';
import type { EventLog, SessionPatch } from '../events/log.ts';
import { newEvent } from '../events/types.ts';
import { SPEC_PAYLOAD_SCHEMAS } from '../events/event-schemas.ts';
import type { SessionListQuery } from '../store/sessions-repository.ts';
import { EMPTY_USAGE, toSession } from './session-mapper.ts';
import { resolveSessionResources } from '../memory/session-memory.ts';
import { budgetAtCreate, budgetAtUpdate, type PriceLookup } from './session-budget.ts';

/** The model id of an agent snapshot, if any. */
function modelOf(snapshot: Record<string, unknown> | null): string | undefined {
  const model = snapshot?.model as { id?: unknown } | undefined;
  return typeof model?.id === 'string' ? model.id : undefined;
}

export interface WakeOptions {
  /** Abort the step in flight (a user.interrupt arrived). */
  interrupt?: boolean;
  /** The input was posted to another instance (cross-instance notification): that one runs it first. */
  fromOtherInstance?: boolean;
}

/** Hooks into whatever runs sessions (the harness). */
export interface SessionLifecycle {
  /** New input may be waiting: advance the session when possible. */
  wake(sessionId: string, options?: WakeOptions): void;
  /** Stop work and sandbox processes (archive); resolves when stopped. */
  stop(sessionId: string): Promise<void>;
  /** Stop work and destroy the sandbox (delete). */
  destroy(sessionId: string): Promise<void>;
  /** The session was archived (committed): providers whose sandboxes cost money while they exist delete them. */
  archived?(sessionId: string): Promise<void>;
}

/** Ids chosen ahead of an idempotent create (see SessionService.create). */
export interface CreatePlan {
  sessionId: string;
  /** One per initial event, in order. */
  eventIds: string[];
}

export class SessionService {
  constructor(
    private readonly deps: { store: Store; agents: AgentService; environments: EnvironmentService; vaults: VaultService; log: EventLog; lifecycle: SessionLifecycle; prices: PriceLookup; secretBox: SecretBox; git: { baseUrl: string }; clock?: Clock; ids?: IdSource },
  ) {}

  private now(): number {
    return (this.deps.clock ?? systemClock).now();
  }

  /**
   * `plan` makes the create idempotent (deployment runs): the session gets the planned id and its
   * initial events the planned event ids, and a repeat finds both already written and writes nothing.
   */
  async create(tenantId: string, input: SessionCreate, plan?: CreatePlan): Promise<Session> {
    if (plan && (await this.deps.store.sessions.find(tenantId, plan.sessionId))) {
      await this.appendInitialEvents(tenantId, plan.sessionId, input, plan);
      return this.get(tenantId, plan.sessionId);
    }
    const snapshot = input.agent === undefined ? null : await this.resolveAgent(tenantId, input.agent);
    const budget = await budgetAtCreate({ tenantId, model: modelOf(snapshot), budget: input.budget, prices: this.deps.prices });
    if (input.initial_events?.length && !snapshot) throw new InvalidRequestError('initial_events: a session without an agent cannot run; pass "agent"');
    const env = input.environment_id
      ? await this.deps.environments.getRow(tenantId, input.environment_id)
      : await this.deps.environments.getOrCreateDefault(tenantId);
    if (env.archived_at !== null) throw new InvalidRequestError(`environment ${env.id} is archived; new sessions cannot use it`, { details: { error_code: 'environment_archived' } });
    const vaultIds = await this.deps.vaults.checkBindable(tenantId, input.vault_ids ?? []);
    const params = input.resources ?? [];
    const memories = await resolveSessionResources(this.deps.store, tenantId, params);
    const fileParams = params.flatMap((param, i) => (param.type === 'file' ? [{ param, at: `resources[${i}]` }] : []));
    const withFiles = [...memories, ...(await resolveFileResources(this.deps.store, tenantId, fileParams, memories))];
    const now = this.now();
    const sessionId = plan?.sessionId ?? (this.deps.ids ?? randomIds).next('sesn');
    const repoParams = params.flatMap((param, i) => (param.type === 'github_repository' ? [{ param, at: `resources[${i}]` }] : []));
    const repositories = resolveRepositoryResources(repoParams, withFiles, { tenantId, sessionId, baseUrl: this.deps.git.baseUrl, secretBox: this.deps.secretBox, now });
    const resources = [...withFiles, ...repositories.resources];
    const row: SessionTable = {
      id: sessionId,
      tenant_id: tenantId,
      agent_id: snapshot ? String(snapshot.id) : null,
      agent_version: snapshot ? Number(snapshot.version) : null,
      agent: snapshot ? toJson(snapshot) : null,
      environment_id: env.id,
      // Environment updates apply only to new sessions: the harness uses this snapshot.
      environment_config: env.config,
      title: input.title ?? null,
      metadata: toJson(input.metadata ?? {}),
      vault_ids: toJson(vaultIds),
      resources: toJson(resources),
      status: 'idle',
      last_seq: 0,
      usage: toJson(EMPTY_USAGE),
      active_ms: 0,
      created_at: now,
      updated_at: now,
      archived_at: null,
      turn_id: null,
      budget,
    };
    try {
      await this.deps.store.transaction(async (tx) => {
        await tx.sessions.insert(row);
        await tx.sessionRepositories.insertMany(repositories.rows);
        await tx.memoryStores.linkSession(tenantId, row.id, memories.map((r) => r.memory_store_id));
      });
    } catch (err) {
      // A planned create racing its own repeat (a run taken over): the other one inserted it.
      if (!plan || !this.deps.store.isUniqueViolation(err)) throw err;
    }
    await this.appendInitialEvents(tenantId, row.id, input, plan);
    return this.get(tenantId, row.id);
  }

  private async appendInitialEvents(tenantId: string, sessionId: string, input: SessionCreate, plan: CreatePlan | undefined): Promise<void> {
    if (!input.initial_events?.length) return;
    const events = input.initial_events.map((e, i) => newEvent('user.message', SPEC_PAYLOAD_SCHEMAS['user.message'].parse({ content: e.content }), null, plan?.eventIds[i]));
    try {
      await this.deps.log.append(tenantId, sessionId, events);
    } catch (err) {
      // Planned event ids already stored: the initial events were sent by an earlier attempt.
      if (!plan || !this.deps.store.isUniqueViolation(err)) throw err;
    }
    this.deps.lifecycle.wake(sessionId);
  }

  private async resolveAgent(tenantId: string, ref: NonNullable<SessionCreate['agent']>): Promise<Record<string, unknown>> {
    const id = typeof ref === 'string' ? ref : ref.id;
    const version = typeof ref === 'string' ? undefined : (ref.version ?? undefined);
    const agent = await this.deps.agents.get(tenantId, id, version);
    if (agent.archived_at) throw new InvalidRequestError(`agent ${id} is archived; new sessions cannot use it`);
    const { created_at: _c, updated_at: _u, archived_at: _a, metadata: _m, ...snapshot } = agent;
    if (typeof ref === 'string' || ref.type === 'agent') return snapshot;
    const overridden = {
      ...snapshot,
      model: ref.model === undefined ? snapshot.model : resolveModel(ref.model, snapshot.model),
      system: ref.system === undefined ? snapshot.system : ref.system,
      tools: ref.tools === undefined ? snapshot.tools : resolveTools(ref.tools),
      mcp_servers: ref.mcp_servers === undefined ? snapshot.mcp_servers : (ref.mcp_servers ?? []),
      skills: ref.skills === undefined ? snapshot.skills : await this.deps.agents.resolveSkillRefs(tenantId, resolveSkills(ref.skills)),
    };
    validateAgentConfig(overridden);
    if (overridden.model.id !== snapshot.model.id) await this.deps.agents.checkModel(tenantId, overridden.model.id);
    return overridden;
  }

  async getRow(tenantId: string, id: string): Promise<SessionTable> {
    const row = await this.deps.store.sessions.find(tenantId, id);
    if (!row) throw notFound('session', id);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Session> {
    return toSession(await this.getRow(tenantId, id));
  }

  async list(tenantId: string, query: SessionListQuery) {
    const page = await this.deps.store.sessions.list(tenantId, query);
    return { data: page.rows.map((r) => toSession(r)), next_page: page.next_page, prev_page: page.prev_page };
  }

  async update(tenantId: string, id: string, input: SessionUpdate): Promise<Session> {
    if (input.vault_ids !== undefined) throw new InvalidRequestError('vault_ids can only be set when the session is created');
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new ConflictError(`session ${id} is archived and read-only`);
    const changed: Record<string, unknown> = {};
    const patch: SessionPatch = {};
    if (input.budget !== undefined) {
      const budget = await budgetAtUpdate({ row, model: modelOf(row.agent ? parseJson(row.agent, 'sessions.agent') : null), budget: input.budget, prices: this.deps.prices });
      if (budget !== undefined) {
        patch.budget = budget;
        changed.budget = input.budget;
      }
    }
    if (input.title !== undefined && input.title !== row.title) {
      patch.title = input.title;
      changed.title = input.title;
    }
    if (input.metadata !== undefined) {
      const before = parseJson<Record<string, string>>(row.metadata, 'sessions.metadata');
      const after = applyMetadataPatch(before, input.metadata);
      if (toJson(after) !== toJson(before)) {
        patch.metadata = toJson(after);
        if (Object.keys(after).length > 0) changed.metadata = after;
      }
    }
    if (input.agent !== undefined) {
      if (!row.agent) throw new InvalidRequestError(`session ${id} has no agent to update`);
      if (row.status !== 'idle') throw new ConflictError(`session ${id} is ${row.status}; its agent can only be updated while it is idle`);
      const agent = parseJson<Record<string, unknown>>(row.agent, 'sessions.agent');
      const next = {
        ...agent,
        tools: input.agent.tools === undefined ? agent.tools : resolveTools(input.agent.tools),
        mcp_servers: input.agent.mcp_servers === undefined ? agent.mcp_servers : (input.agent.mcp_servers ?? []),
      } as Record<string, unknown> & { tools: Record<string, unknown>[]; mcp_servers: { name: string; type: 'url'; url: string }[] };
      validateAgentConfig(next);
      if (toJson(next) !== row.agent) {
        patch.agent = toJson(next);
        changed.agent = next;
      }
    }
    if (Object.keys(changed).length > 0 || patch.metadata !== undefined) {
      await this.deps.log.append(tenantId, id, [{ type: 'session.updated', payload: changed, processedAt: this.now() }], { sessionPatch: patch });
      // A raised or removed budget resumes a session paused at its budget.
      if (patch.budget !== undefined) this.deps.lifecycle.wake(id);
    }
    return this.get(tenantId, id);
  }

  async archive(tenantId: string, id: string): Promise<Session> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at === null) {
      await this.deps.lifecycle.stop(id);
      const now = this.now();
      await this.deps.log.append(tenantId, id, [{ type: 'session.status_terminated', payload: {}, processedAt: now }], {
        sessionPatch: { status: 'terminated', archived_at: now },
      });
      // A failure here leaves the machine to the periodic sweep (archived sessions' machines go there too).
      await this.deps.lifecycle.archived?.(id).catch(() => undefined);
    }
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'session_deleted' }> {
    const row = await this.getRow(tenantId, id);
    await this.deps.lifecycle.destroy(id);
    // Webhooks: the log goes with the session, so what the dispatcher has not read yet is fanned out first.
    await fanOutBeforeDelete(this.deps.store, tenantId, id, this.now());
    await this.deps.store.transaction(async (tx) => {
      await enqueueSessionDeleted(tx, tenantId, { id, lastSeq: Number(row.last_seq) }, this.now());
      await tx.sessions.delete(tenantId, id);
    });
    this.deps.log.hub.publish(id, { kind: 'deleted', sessionId: id, seq: Number(row.last_seq) + 1 });
    return { id, type: 'session_deleted' };
  }
}
