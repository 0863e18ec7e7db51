/**
 * The durable scheduler. Every instance polls the database (DEPLOYMENT_POLL_MS); nothing is held
 * in a timer of one process. A due slot is claimed by moving the deployment's `next_fire_at`
 * forward with a compare-and-set, in the transaction that writes the pending run — so exactly one
 * instance records it, and the unique (deployment, scheduled_at) index backs that up. Pending runs
 * whose claim expired (their instance was killed between claim and outcome) are taken over with
 * the next fencing token and finished; the session create is idempotent (run-executor.ts).
 *
 * Missed slots (server down, or busy): one run for the most recent missed slot, at the first poll
 * after boot, never one per missed slot; the schedule then continues with the next future slot.
 * Slots passing while a deployment is paused are skipped (unpause starts from the next slot).
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { DeploymentRunTable, DeploymentTable } from '../store/schema.ts';
import type { RunClaim } from '../store/deployment-runs-repository.ts';
import { parseJson } from '../store/json.ts';
import type { Clock } from '../lib/clock.ts';
import { latestDueSlot, type ScheduleSpec } from './cron-schedule.ts';
import type { RunExecutor } from './run-executor.ts';

const BATCH = 20;

export interface SchedulerDeps {
  store: Store;
  executor: RunExecutor;
  clock: Clock;
  /** Real milliseconds between polls (the clock decides what is due). */
  pollMs: number;
  logger: Logger;
}

export class DeploymentScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops polling and waits for the poll in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'deployment scheduler poll failed; retrying at the next poll'))
        .finally(() => this.#schedule(this.deps.pollMs));
    }, delay);
  }

  /** One poll: fire due slots, then finish runs whose claim expired. Tests may call it directly. */
  async tick(): Promise<void> {
    const now = this.deps.clock.now();
    // Each deployment and run on its own: one that throws (a stored schedule croner no longer
    // takes, a database error) is logged and tried again at the next poll, and must not keep the
    // others — every tenant's, the oldest due first — from firing behind it.
    for (const d of await this.deps.store.deployments.due(now, BATCH)) {
      if (this.#stopped) return;
      try {
        const claimed = await this.claimSlot(d, now);
        if (claimed) await this.deps.executor.execute(claimed.run, claimed.claim);
      } catch (err) {
        this.deps.logger.error({ err, deployment: d.id }, 'could not fire a due deployment slot; tried again at the next poll');
      }
    }
    for (const run of await this.deps.store.deploymentRuns.expired(now, BATCH)) {
      if (this.#stopped) return;
      try {
        const claim = await this.deps.store.deploymentRuns.takeOver(run, this.deps.executor.owner, this.deps.executor.claimExpiry(now));
        if (!claim) continue;
        this.deps.logger.info({ run: run.id, previousOwner: run.claim_owner }, 'taking over a deployment run whose claim expired');
        await this.deps.executor.execute({ ...run, claim_owner: claim.owner, claim_token: claim.token }, claim);
      } catch (err) {
        this.deps.logger.error({ err, run: run.id }, 'could not finish a deployment run taken over; tried again when its claim expires');
      }
    }
  }

  /** Claims the due slot of `d` (the latest one ≤ now); undefined when another instance claimed it first. */
  private async claimSlot(d: DeploymentTable, now: number): Promise<{ run: DeploymentRunTable; claim: RunClaim } | undefined> {
    const spec = parseJson<ScheduleSpec | null>(d.schedule, 'deployments.schedule');
    const due = Number(d.next_fire_at);
    const executor = this.deps.executor;
    return this.deps.store.transaction(async (tx) => {
      if (!spec) {
        await tx.deployments.advanceSlot(d.id, due, { next_fire_at: null });
        return undefined;
      }
      const { slot, next } = latestDueSlot(spec, due, now);
      if (!(await tx.deployments.advanceSlot(d.id, due, { next_fire_at: next, last_run_at: now }))) return undefined;
      const run = executor.newRun(d, { type: 'schedule', scheduledAt: slot }, now);
      if (!(await executor.record(tx, run))) return undefined;
      return { run, claim: { owner: executor.owner, token: 1 } };
    });
  }
}
