/**
 * Deployment rules: create, update, list, archive, pause, unpause and run now. What a run does is
 * run-executor.ts; when scheduled runs fire is scheduler.ts. Every reference (agent, environment,
 * vaults, resources) is checked at create and update, so a bad one is a 4xx now rather than a
 * failed run later.
 */
import { ConflictError, InvalidRequestError, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { DeploymentTable } from '../store/schema.ts';
import type { DeploymentListQuery, DeploymentPatch } from '../store/deployments-repository.ts';
import type { DeploymentRunListQuery } from '../store/deployment-runs-repository.ts';
import { parseJson, toJson } from '../store/json.ts';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { IdSource } from '../lib/ids.ts';
import type { AgentService } from '../agents/agent-service.ts';
import { applyMetadataPatch } from '../agents/agent-service.ts';
import type { EnvironmentService } from '../environments/environment-service.ts';
import type { VaultService } from '../vault/vault-service.ts';
import { resolveSessionResources } from '../memory/session-memory.ts';
import { resolveFileResources } from '../sessions/session-files.ts';
import { budgetAtCreate, type PriceLookup } from '../sessions/session-budget.ts';
import type { SessionResourceParam } from '../api/schemas/session-resources.ts';
import type { Budget } from '../api/schemas/sessions.ts';
import type { Deployment, DeploymentCreate, DeploymentRun, DeploymentUpdate } from '../api/schemas/deployments.ts';
import { nextSlot, validateSchedule, type ScheduleSpec } from './cron-schedule.ts';
import { toDeployment, toDeploymentRun } from './deployment-mapper.ts';
import type { DeploymentEventSink, RunExecutor } from './run-executor.ts';

export interface DeploymentServiceDeps {
  store: Store;
  agents: AgentService;
  environments: EnvironmentService;
  vaults: VaultService;
  prices: PriceLookup;
  executor: RunExecutor;
  emit: DeploymentEventSink;
  clock: Clock;
  ids: IdSource;
  /** Warnings about stored data the API still serves (a schedule croner no longer takes). */
  logger?: Logger;
}

type AgentParam = DeploymentCreate['agent'];

export class DeploymentService {
  constructor(private readonly deps: DeploymentServiceDeps) {}

  private now(): number {
    return this.deps.clock.now();
  }

  /** The wire object; a stored schedule croner rejects gives `upcoming_runs_at: []` and a warning, not a 500. */
  private toDeployment(row: DeploymentTable, now: number): Deployment {
    return toDeployment(row, now, (err) => this.deps.logger?.warn({ err, deploymentId: row.id, schedule: row.schedule }, 'stored deployment schedule cannot be evaluated; upcoming_runs_at is empty'));
  }

  async create(tenantId: string, input: DeploymentCreate): Promise<Deployment> {
    const agent = await this.resolveAgent(tenantId, input.agent);
    await this.checkEnvironment(tenantId, input.environment_id);
    const vaultIds = await this.deps.vaults.checkBindable(tenantId, input.vault_ids ?? []);
    const resources = await this.checkResources(tenantId, input.resources ?? []);
    const budget = await this.checkBudget(tenantId, agent, input.budget);
    const schedule = input.schedule ? validateSchedule(input.schedule) : null;
    const now = this.now();
    const row: DeploymentTable = {
      id: this.deps.ids.next('depl'),
      tenant_id: tenantId,
      name: input.name,
      description: input.description || null,
      agent_id: agent.id,
      agent_version: agent.version,
      environment_id: input.environment_id,
      initial_events: toJson(input.initial_events),
      resources: toJson(resources),
      vault_ids: toJson(vaultIds),
      metadata: toJson(input.metadata ?? {}),
      budget,
      schedule: schedule && toJson(schedule),
      status: 'active',
      paused_reason: null,
      next_fire_at: schedule && nextSlot(schedule, now),
      last_run_at: null,
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await this.deps.store.transaction(async (tx) => {
      await tx.deployments.insert(row);
      await this.deps.emit(tx, tenantId, { type: 'deployment.created', id: row.id }, now);
    });
    return this.toDeployment(row, now);
  }

  async getRow(tenantId: string, id: string): Promise<DeploymentTable> {
    const row = await this.deps.store.deployments.find(tenantId, id);
    if (!row) throw notFound('deployment', id);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Deployment> {
    return this.toDeployment(await this.getRow(tenantId, id), this.now());
  }

  async list(tenantId: string, query: DeploymentListQuery) {
    if (query.status && query.includeArchived) throw new InvalidRequestError('status and include_archived cannot be combined: archived deployments report status "active"; filter by status, or list with include_archived=true and read archived_at');
    const page = await this.deps.store.deployments.list(tenantId, query);
    const now = this.now();
    return { data: page.data.map((r) => this.toDeployment(r, now)), next_page: page.next_page };
  }

  async update(tenantId: string, id: string, input: DeploymentUpdate): Promise<Deployment> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new ConflictError(`deployment ${id} is archived and read-only; create a new deployment`);
    const patch: DeploymentPatch = {};
    let agent = { id: row.agent_id, version: Number(row.agent_version) };
    if (input.agent !== undefined) {
      agent = await this.resolveAgent(tenantId, input.agent);
      patch.agent_id = agent.id;
      patch.agent_version = agent.version;
    }
    if (input.name !== undefined) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description || null;
    if (input.environment_id !== undefined) {
      await this.checkEnvironment(tenantId, input.environment_id);
      patch.environment_id = input.environment_id;
    }
    if (input.initial_events !== undefined) patch.initial_events = toJson(input.initial_events);
    if (input.metadata !== undefined) patch.metadata = toJson(applyMetadataPatch(parseJson(row.metadata, 'deployments.metadata'), input.metadata));
    if (input.resources !== undefined) patch.resources = toJson(await this.checkResources(tenantId, input.resources ?? []));
    if (input.vault_ids !== undefined) patch.vault_ids = toJson(await this.deps.vaults.checkBindable(tenantId, input.vault_ids ?? []));
    if (input.budget !== undefined) patch.budget = await this.checkBudget(tenantId, agent, input.budget);
    const now = this.now();
    if (input.schedule !== undefined) {
      const schedule = input.schedule && validateSchedule(input.schedule);
      patch.schedule = schedule && toJson(schedule);
      patch.next_fire_at = schedule && nextSlot(schedule, now);
    }
    patch.updated_at = now;
    await this.deps.store.transaction(async (tx) => {
      await tx.deployments.update(tenantId, id, patch);
      await this.deps.emit(tx, tenantId, { type: 'deployment.updated', id }, now);
    });
    return this.get(tenantId, id);
  }

  async archive(tenantId: string, id: string): Promise<Deployment> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) return this.get(tenantId, id);
    const now = this.now();
    await this.deps.store.transaction(async (tx) => {
      await tx.deployments.update(tenantId, id, { archived_at: now, next_fire_at: null, status: 'active', paused_reason: null, updated_at: now });
      await this.deps.emit(tx, tenantId, { type: 'deployment.archived', id }, now);
    });
    return this.get(tenantId, id);
  }

  async pause(tenantId: string, id: string): Promise<Deployment> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new ConflictError(`deployment ${id} is archived; an archived deployment cannot be paused`);
    if (row.status === 'paused') return this.get(tenantId, id);
    const now = this.now();
    await this.deps.store.transaction(async (tx) => {
      await tx.deployments.update(tenantId, id, { status: 'paused', paused_reason: toJson({ type: 'manual' }), updated_at: now });
      await this.deps.emit(tx, tenantId, { type: 'deployment.paused', id }, now);
    });
    return this.get(tenantId, id);
  }

  /** Slots that passed while paused are not run: the schedule resumes at its next slot after now. */
  async unpause(tenantId: string, id: string): Promise<Deployment> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new ConflictError(`deployment ${id} is archived; an archived deployment cannot be unpaused`);
    if (row.status !== 'paused') return this.get(tenantId, id);
    const now = this.now();
    const schedule = parseJson<ScheduleSpec | null>(row.schedule, 'deployments.schedule');
    await this.deps.store.transaction(async (tx) => {
      await tx.deployments.update(tenantId, id, { status: 'active', paused_reason: null, next_fire_at: schedule && nextSlot(schedule, now), updated_at: now });
      await this.deps.emit(tx, tenantId, { type: 'deployment.unpaused', id }, now);
    });
    return this.get(tenantId, id);
  }

  /** Run now (allowed while paused): claims a manual run, creates its session, returns the recorded run. */
  async run(tenantId: string, id: string): Promise<DeploymentRun> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new ConflictError(`deployment ${id} is archived; archived deployments cannot run`);
    const { executor } = this.deps;
    const run = executor.newRun(row, { type: 'manual' }, this.now());
    await this.deps.store.transaction((tx) => executor.record(tx, run));
    return toDeploymentRun(await executor.execute(run, { owner: executor.owner, token: 1 }));
  }

  async getRun(tenantId: string, id: string): Promise<DeploymentRun> {
    const row = await this.deps.store.deploymentRuns.find(tenantId, id);
    if (!row) throw notFound('deployment run', id);
    return toDeploymentRun(row);
  }

  async listRuns(tenantId: string, query: DeploymentRunListQuery) {
    const page = await this.deps.store.deploymentRuns.list(tenantId, query);
    return { data: page.data.map(toDeploymentRun), next_page: page.next_page };
  }

  private async resolveAgent(tenantId: string, ref: AgentParam): Promise<{ id: string; version: number }> {
    const id = typeof ref === 'string' ? ref : ref.id;
    const agent = await this.deps.agents.get(tenantId, id, typeof ref === 'string' ? undefined : ref.version);
    if (agent.archived_at) throw new InvalidRequestError(`agent: agent ${id} is archived; deployments cannot use it`);
    return { id: agent.id, version: Number(agent.version) };
  }

  private async checkEnvironment(tenantId: string, environmentId: string): Promise<void> {
    const env = await this.deps.environments.getRow(tenantId, environmentId);
    if (env.archived_at !== null) throw new InvalidRequestError(`environment_id: environment ${environmentId} is archived; deployments cannot use it`);
  }

  /** The same checks as a session create (existence, archived, duplicates), without writing anything. */
  private async checkResources(tenantId: string, params: SessionResourceParam[]): Promise<SessionResourceParam[]> {
    // A repository's authorization_token would have to be kept (sealed) with the deployment and left
    // out of its responses; until that exists, deployments take memory stores and files only.
    const repo = params.findIndex((p) => p.type === 'github_repository');
    if (repo >= 0) throw new InvalidRequestError(`resources[${repo}]: github_repository resources are not supported on deployments yet; attach memory_store or file resources, or clone the repository from the initial message`);
    const memories = await resolveSessionResources(this.deps.store, tenantId, params);
    const files = params.flatMap((param, i) => (param.type === 'file' ? [{ param, at: `resources[${i}]` }] : []));
    await resolveFileResources(this.deps.store, tenantId, files, memories);
    return params;
  }

  private async checkBudget(tenantId: string, agent: { id: string; version: number }, budget: Budget | null | undefined): Promise<string | null> {
    if (!budget) return null;
    const model = (await this.deps.agents.get(tenantId, agent.id, agent.version)).model as { id?: string } | undefined;
    return budgetAtCreate({ tenantId, model: model?.id, budget, prices: this.deps.prices });
  }
}
