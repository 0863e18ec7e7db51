/**
 * One deployment run, from its claim to its outcome. The claim is a `pending` row committed before
 * anything else happens (with the session id and initial event ids chosen up front and the
 * `deployment_run.started` webhook event in the same transaction); the session is then created
 * idempotently with those ids, and the outcome is written under the claim's fencing token with its
 * `deployment_run.succeeded`/`failed` event. The claim is renewed while the executor works
 * (claim-heartbeat.ts), so a slow run is not taken over; a run whose executor died is taken over by
 * whichever instance sees its claim expired (scheduler.ts), and repeating the create finds what was made.
 *
 * Outcome (SDK: "records session creation success or failure — no session lifecycle tracking"):
 * succeeded = the session exists with its initial events sent; failed = it could not be created,
 * with the SDK's error type. A scheduled run failing for a reason that will not fix itself
 * (archived agent/environment/vault/memory store, missing resource) pauses the deployment.
 */
import type { Logger } from 'pino';
import { AppError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { DeploymentRunTable, DeploymentTable } from '../store/schema.ts';
import type { RunClaim } from '../store/deployment-runs-repository.ts';
import { parseJson, toJson } from '../store/json.ts';
import type { Clock } from '../lib/clock.ts';
import type { IdSource } from '../lib/ids.ts';
import type { WebhookEventType } from '../lib/webhook-event-types.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { SessionCreate } from '../api/schemas/sessions.ts';
import type { DeploymentRunError, RunErrorType } from '../api/schemas/deployments.ts';
import { holdClaim } from './claim-heartbeat.ts';

/** Writes a webhook event inside the caller's transaction (the webhooks outbox). */
export type DeploymentEventSink = (tx: Store, tenantId: string, data: { type: WebhookEventType; id: string }, now: number) => Promise<void>;

/** Errors of a scheduled run that pause the deployment (the SDK's paused_reason error types). */
const AUTO_PAUSE = new Set<RunErrorType>([
  'environment_archived_error', 'agent_archived_error', 'environment_not_found_error', 'vault_not_found_error', 'vault_archived_error',
  'file_not_found_error', 'memory_store_archived_error', 'skill_not_found_error', 'session_resource_not_found_error',
]);

/** Where a test may make the executor stop for good, to be killed there (DEPLOYMENT_TEST_STALL_AT). */
export type StallPoint = 'claim' | 'session';

export interface RunExecutorDeps {
  store: Store;
  sessions: SessionService;
  clock: Clock;
  ids: IdSource;
  /** This instance's name on claims (INSTANCE_ID). */
  owner: string;
  /** How long a claim lasts before another instance may take the run over (LEASE_TTL_MS). */
  claimTtlMs: number;
  emit: DeploymentEventSink;
  logger?: Logger;
  stallAt?: StallPoint;
}

class RunFailure extends Error {
  constructor(readonly error: DeploymentRunError) {
    super(error.message);
  }
}

const fail = (type: RunErrorType, message: string) => new RunFailure({ type, message });

export class RunExecutor {
  constructor(private readonly deps: RunExecutorDeps) {}

  get owner(): string {
    return this.deps.owner;
  }

  claimExpiry(now: number): number {
    return now + this.deps.claimTtlMs;
  }

  /** A new pending run row claimed by this instance (not yet written). */
  newRun(deployment: DeploymentTable, trigger: { type: 'manual' } | { type: 'schedule'; scheduledAt: number }, now: number): DeploymentRunTable {
    const events = parseJson<unknown[]>(deployment.initial_events, 'deployments.initial_events');
    return {
      id: this.deps.ids.next('drun'),
      tenant_id: deployment.tenant_id,
      deployment_id: deployment.id,
      agent_id: deployment.agent_id,
      agent_version: Number(deployment.agent_version),
      trigger_type: trigger.type,
      scheduled_at: trigger.type === 'schedule' ? trigger.scheduledAt : null,
      state: 'pending',
      session_id: null,
      error: null,
      planned_session_id: this.deps.ids.next('sesn'),
      planned_event_ids: toJson(events.map(() => this.deps.ids.next('sevt'))),
      claim_owner: this.deps.owner,
      claim_token: 1,
      claim_expires_at: now + this.deps.claimTtlMs,
      created_at: now,
      completed_at: null,
    };
  }

  /** Writes a claimed run and its `deployment_run.started` event in `tx`; false when its slot already has a run. */
  async record(tx: Store, run: DeploymentRunTable): Promise<boolean> {
    if (!(await tx.deploymentRuns.insert(run))) return false;
    await this.deps.emit(tx, run.tenant_id, { type: 'deployment_run.started', id: run.id }, Number(run.created_at));
    return true;
  }

  /** Creates the run's session (idempotently) and records the outcome under `claim`. Returns the row as stored. */
  async execute(run: DeploymentRunTable, claim: RunClaim): Promise<DeploymentRunTable> {
    const heartbeat = holdClaim(this.deps, run.id, claim);
    try {
      await this.stall('claim', run);
      // Lost the claim (here and below): the instance that took the run over finishes it.
      if (!heartbeat.lost) await this.run(run, claim);
    } finally {
      heartbeat.stop();
    }
    return (await this.deps.store.deploymentRuns.findAny(run.id))!;
  }

  private async run(run: DeploymentRunTable, claim: RunClaim): Promise<void> {
    let sessionId: string | null = null;
    let error: DeploymentRunError | null = null;
    try {
      sessionId = await this.createSession(run);
    } catch (err) {
      error = classify(err);
      if (error.type === 'unknown_error') this.deps.logger?.warn({ err, run: run.id }, 'deployment run failed with an unexpected error');
    }
    await this.stall('session', run);
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      // Fenced: false when the claim was taken over, whose holder records the outcome (the same session).
      if (!(await tx.deploymentRuns.complete(run.id, claim, { state: error ? 'failed' : 'succeeded', session_id: sessionId, error: error && toJson(error), completed_at: now }))) return;
      await this.deps.emit(tx, run.tenant_id, { type: error ? 'deployment_run.failed' : 'deployment_run.succeeded', id: run.id }, now);
      if (error && run.trigger_type === 'schedule' && AUTO_PAUSE.has(error.type)) await this.autoPause(tx, run, error, now);
    });
  }

  private async autoPause(tx: Store, run: DeploymentRunTable, error: DeploymentRunError, now: number): Promise<void> {
    const d = await tx.deployments.find(run.tenant_id, run.deployment_id);
    if (!d || d.archived_at !== null || d.status === 'paused') return;
    await tx.deployments.update(run.tenant_id, d.id, { status: 'paused', paused_reason: toJson({ type: 'error', error: { type: error.type } }), updated_at: now });
    await this.deps.emit(tx, run.tenant_id, { type: 'deployment.paused', id: d.id }, now);
  }

  private async createSession(run: DeploymentRunTable): Promise<string> {
    const { store } = this.deps;
    const d = await store.deployments.find(run.tenant_id, run.deployment_id);
    if (!d) throw fail('unknown_error', `deployment ${run.deployment_id} no longer exists`);
    await this.precheck(d);
    const input: SessionCreate = {
      agent: { type: 'agent', id: run.agent_id, version: Number(run.agent_version) },
      environment_id: d.environment_id,
      title: d.name,
      resources: parseJson(d.resources, 'deployments.resources'),
      vault_ids: parseJson(d.vault_ids, 'deployments.vault_ids'),
      initial_events: parseJson(d.initial_events, 'deployments.initial_events'),
      budget: d.budget === null ? undefined : parseJson(d.budget, 'deployments.budget'),
    };
    const session = await this.deps.sessions.create(run.tenant_id, input, { sessionId: run.planned_session_id, eventIds: parseJson(run.planned_event_ids, 'deployment_runs.planned_event_ids') });
    return session.id;
  }

  /** The failures the SDK names, found before the session create would refuse them less precisely. */
  private async precheck(d: DeploymentTable): Promise<void> {
    const { store } = this.deps;
    const agent = await store.agents.find(d.tenant_id, d.agent_id);
    if (!agent) throw fail('session_resource_not_found_error', `agent ${d.agent_id} no longer exists`);
    if (agent.archived_at !== null) throw fail('agent_archived_error', `agent ${d.agent_id} is archived; unarchiving is not possible, so update the deployment to another agent`);
    const env = await store.environments.find(d.tenant_id, d.environment_id);
    if (!env) throw fail('environment_not_found_error', `environment ${d.environment_id} no longer exists; update the deployment's environment_id`);
    if (env.archived_at !== null) throw fail('environment_archived_error', `environment ${d.environment_id} is archived; update the deployment's environment_id`);
    const vaultIds = parseJson<string[]>(d.vault_ids, 'deployments.vault_ids');
    const vaults = new Map((await store.vaults.findMany(d.tenant_id, vaultIds)).map((v) => [v.id, v]));
    for (const id of vaultIds) {
      const v = vaults.get(id);
      if (!v) throw fail('vault_not_found_error', `vault ${id} no longer exists; update the deployment's vault_ids`);
      if (v.archived_at !== null) throw fail('vault_archived_error', `vault ${id} is archived; update the deployment's vault_ids`);
    }
    for (const r of parseJson<{ type: string; memory_store_id?: string; file_id?: string }[]>(d.resources, 'deployments.resources')) {
      if (r.type === 'memory_store') {
        const m = await store.memoryStores.find(d.tenant_id, r.memory_store_id!);
        if (!m) throw fail('session_resource_not_found_error', `memory store ${r.memory_store_id} no longer exists; update the deployment's resources`);
        if (m.archived_at !== null) throw fail('memory_store_archived_error', `memory store ${r.memory_store_id} is archived; update the deployment's resources`);
      } else if (r.type === 'file' && !(await store.files.find(d.tenant_id, r.file_id!))) {
        throw fail('file_not_found_error', `file ${r.file_id} no longer exists; update the deployment's resources`);
      }
    }
  }

  private async stall(point: StallPoint, run: DeploymentRunTable): Promise<void> {
    if (this.deps.stallAt !== point) return;
    this.deps.logger?.warn({ run: run.id, point }, 'DEPLOYMENT_TEST_STALL_AT: deployment run stalls here until the process is killed');
    await new Promise<never>(() => {});
  }
}

function classify(err: unknown): DeploymentRunError {
  if (err instanceof RunFailure) return err.error;
  if (err instanceof AppError && err.status === 429) return { type: 'session_rate_limited_error', message: err.message };
  if (err instanceof NotFoundError) return { type: 'session_resource_not_found_error', message: err.message };
  if (err instanceof InvalidRequestError || (err instanceof AppError && err.status < 500)) return { type: 'session_creation_rejected_error', message: err.message };
  return { type: 'unknown_error', message: 'the session could not be created because of an internal error; see the server log' };
}
