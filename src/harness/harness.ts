/**
 * Runs sessions: at most one worker per session in this process, holding the session's lease
 * (owner + fencing token) for as long as it advances it. `wake` is called whenever input may be
 * waiting; a periodic sweep picks up sessions whose lease expired (crash of another instance) or
 * whose wake-up was missed. Recovery at boot is the same sweep run once: every session that is
 * mid-turn is simply advanced from its log.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { EventLog } from '../events/log.ts';
import { LeaseLostError } from '../events/log.ts';
import type { Tool } from '../tools/tool.ts';
import type { SandboxProvider, Sandbox, SandboxEgress, SandboxMount } from '../sandbox/sandbox.ts';
import type { SessionTable } from '../store/schema.ts';
import { sandboxNetworkingFor } from '../environments/environment-networking.ts';
import type { ModelClient } from './model/model-client.ts';
import type { SessionLifecycle, WakeOptions } from '../sessions/session-service.ts';
import { advance } from './advance.ts';
import { append, type StepContext } from './step-context.ts';
import { HeldSession } from './held-session.ts';
import { recordStepFailure } from './step-failures.ts';
import { retryDelayMs } from './backoff.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { parseJson } from '../store/json.ts';
import { withMemoryPrompt } from '../memory/memory-prompt.ts';
import type { SessionMemoryMounts } from '../memory/session-memory-mounts.ts';
import { memoryResourcesOf } from '../memory/session-memory.ts';
import type { AgentSnapshot } from './request-builder.ts';
import type { SessionFileMounts } from '../files/session-file-mounts.ts';
import { withSkillsPrompt, type SessionSkill, type SessionSkills } from '../skills/session-skills.ts';
import type { PriceLookup } from '../lib/model-prices.ts';
import type { McpSessions } from '../tools/mcp/mcp-sessions.ts';
import type { RepositoryFailure } from '../repos/session-repository-checkouts.ts';
import { withRepositoryPrompt } from '../repos/repository-prompt.ts';

export interface HarnessOptions {
  store: Store;
  log: EventLog;
  model: ModelClient;
  tools: Map<string, Tool>;
  sandboxes: SandboxProvider;
  logger: Logger;
  owner: string;
  leaseTtlMs: number;
  retry: { maxRetries: number; baseMs: number };
  sweepIntervalMs?: number;
  /** The vault egress proxy's settings for a session's sandbox; absent: sandboxes get no proxy. */
  egress?: { forSession(sessionId: string): Promise<SandboxEgress> };
  /** List prices per model id for session budgets. */
  prices?: PriceLookup;
  /** The session's mounted memory stores (directories, sync into versions). */
  memory?: SessionMemoryMounts;
  /** The session's file resources (read-only mounts) and /mnt/session/outputs (collected into Files at turn end). */
  sessionFiles?: Pick<SessionFileMounts, 'prepare' | 'collectOutputs' | 'remove'>;
  /** The agent's skills: mounted under /workspace/skills and described in the system prompt. */
  skills?: Pick<SessionSkills, 'list' | 'prepare' | 'remove'>;
  /**
   * The session's github_repository resources: cloned by the server into the sandbox directory when
   * the sandbox is first opened in a run; each failure becomes a `session.error` (retrying).
   */
  repositories?: {
    prepare(session: Pick<SessionTable, 'id' | 'tenant_id' | 'resources'>): Promise<{ failures: RepositoryFailure[]; placed: number }>;
    /** Mounts that show the checkouts at their mount paths where the provider needs them (subprocess, remote). */
    mounts(session: Pick<SessionTable, 'id' | 'resources'>): SandboxMount[];
  };
  /** Consecutive unexpected step failures before a session is given up (default STEP_FAILURE_LIMIT). */
  stepFailureLimit?: number;
  /** The composition root's clock (default: system time). */
  clock?: Clock;
  /** MCP client connections of the sessions this process runs (closed when a session's worker stops). */
  mcp?: McpSessions;
}

/** How long a session woken by another instance's input is left to that instance before this one tries. */
const REMOTE_WAKE_DELAY_MS = 250;

interface Worker {
  controller: AbortController;
  done: Promise<void>;
  /** Set when a wake arrived while running, so the loop takes another look before leaving. */
  again: boolean;
  /** Set by stop (archive, delete): the aborted step commits its outcome and the loop ends, no further step. */
  halted?: boolean;
}

/** Idle sessions whose folded state a worker keeps for their next run (memory grows with each one's history). */
const HELD_FOLDS_KEPT = 256;

export class Harness implements SessionLifecycle {
  private readonly workers = new Map<string, Worker>();
  /**
   * Folds of sessions this worker ran and released cleanly, by the lease token of that run: the
   * next run reuses one when its new token is the next (nobody held the lease in between, so only
   * client input was committed meanwhile, which `catchUp` reads by seq) instead of reading the
   * whole log again. Dropped on a lost lease or a failed run; at most HELD_FOLDS_KEPT, oldest out.
   */
  private readonly heldFolds = new Map<string, { token: number; held: HeldSession }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: HarnessOptions) {}

  private now(): number {
    return (this.options.clock ?? systemClock).now();
  }

  /** Recovers interrupted sessions, then sweeps periodically. */
  async start(): Promise<void> {
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? Math.max(1000, this.options.leaseTtlMs / 2));
    this.sweepTimer.unref();
  }

  wake(sessionId: string, options: WakeOptions = {}): void {
    if (this.stopped) return;
    const worker = this.workers.get(sessionId);
    if (worker) {
      worker.again = true;
      if (options.interrupt) worker.controller.abort();
      return;
    }
    if (options.fromOtherInstance) {
      // The instance that took the input woke the session itself; give it the lease first, and
      // take over only if nobody holds it a moment later (e.g. that instance died meanwhile).
      setTimeout(() => {
        if (!this.workers.has(sessionId)) this.wake(sessionId);
      }, REMOTE_WAKE_DELAY_MS).unref();
      return;
    }
    const controller = new AbortController();
    const entry: Worker = { controller, again: false, done: Promise.resolve() };
    this.workers.set(sessionId, entry);
    entry.done = this.run(sessionId, entry).finally(() => {
      this.workers.delete(sessionId);
      if (entry.again && !this.stopped) this.wake(sessionId);
    });
  }

  async stop(sessionId: string): Promise<void> {
    this.heldFolds.delete(sessionId);
    const worker = this.workers.get(sessionId);
    if (worker) {
      worker.again = false;
      worker.halted = true;
      worker.controller.abort();
      await worker.done;
    }
    await this.options.sandboxes.stop(sessionId);
  }

  async destroy(sessionId: string): Promise<void> {
    await this.stop(sessionId);
    await this.options.sandboxes.destroy(sessionId);
    await this.options.memory?.remove(sessionId);
    await this.options.sessionFiles?.remove(sessionId);
    await this.options.skills?.remove(sessionId);
  }

  /**
   * Stops every worker (their steps commit what they must) and every sandbox process. Returns the
   * sessions whose leases it gave up, for the caller to hand over to other instances.
   */
  async shutdown(): Promise<string[]> {
    this.stopped = true;
    const released = [...this.workers.keys()];
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const w of this.workers.values()) {
      w.again = false;
      w.controller.abort();
    }
    await Promise.allSettled([...this.workers.values()].map((w) => w.done));
    await this.options.mcp?.closeAll();
    await this.options.sandboxes.shutdown();
    return released;
  }

  /** Wakes every session that is mid-turn or has unprocessed input and no live lease elsewhere. */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      const ids = await this.options.store.sessions.listNeedingWork(this.now(), this.options.owner);
      for (const id of ids) if (!this.workers.has(id)) this.wake(id);
    } catch (err) {
      this.options.logger.error({ err }, 'session sweep failed');
    }
  }

  /**
   * Opens the session's sandbox with the networking of the environment config it was created with.
   * Sessions from before that snapshot existed (migration 5) read their environment as it is now
   * (no network if it is gone).
   */
  private async openSandbox(session: Pick<SessionTable, 'id' | 'tenant_id' | 'environment_id' | 'environment_config' | 'resources' | 'agent'>, skills: SessionSkill[], ctx: StepContext): Promise<Sandbox> {
    const environment = session.environment_config !== null
      ? { config: session.environment_config }
      : await this.options.store.environments.find(session.tenant_id, session.environment_id);
    const egress = await this.options.egress?.forSession(session.id);
    const memory = await this.options.memory?.prepare(session);
    const repositoryMounts = this.options.repositories?.mounts(session) ?? [];
    const mounts: SandboxMount[] = [...((await this.options.sessionFiles?.prepare(session)) ?? []), ...((await this.options.skills?.prepare(session, skills)) ?? []), ...repositoryMounts];
    const options = { networking: sandboxNetworkingFor(environment), egress, memory, mounts };
    const sandbox = await this.options.sandboxes.open(session.id, options);
    const { failures, placed } = (await this.options.repositories?.prepare(session)) ?? { failures: [], placed: 0 };
    // New checkouts behind mounts: opening again applies the mount list now that they exist (remote providers copy them).
    if (placed > 0 && repositoryMounts.length > 0) await this.options.sandboxes.open(session.id, options);
    // Repository failures never stop the session (reference §3.7): it proceeds without the repository.
    if (failures.length > 0) await append(ctx, failures.map((error) => ({ type: 'session.error', payload: { error: { ...error, retry_status: { type: 'retrying' } } }, processedAt: this.now() })));
    return sandbox;
  }

  private async run(sessionId: string, worker: Worker): Promise<void> {
    const { store, logger, owner, leaseTtlMs } = this.options;
    const lease = await store.transaction((tx) => tx.leases.acquire(sessionId, owner, this.now(), leaseTtlMs)).catch((err: unknown) => {
      logger.error({ err, sessionId }, 'could not take session lease');
      return undefined;
    });
    if (!lease) return;
    const token = Number(lease.token);
    const renewal = this.renewLease(sessionId, token, worker);
    let tenantId: string | undefined;
    let held: HeldSession | undefined;
    let clean = false;
    try {
      const session = await store.sessions.findAnyTenant(sessionId);
      if (!session) return;
      tenantId = session.tenant_id;
      // Taking the session over is the one time its whole log is read; from here on, commits are folded as they happen.
      held = await this.takeFold(session.tenant_id, sessionId, token);
      let sandbox: Promise<Sandbox> | undefined;
      const failures = { count: 0 };
      const skills = (await this.options.skills?.list(session)) ?? [];
      const agent = withRepositoryPrompt(withSkillsPrompt(withMemoryPrompt(parseJson<AgentSnapshot | null>(session.agent, 'sessions.agent'), memoryResourcesOf(session.resources)), skills), session.resources);
      const sessionFiles = this.options.sessionFiles;
      do {
        worker.again = false;
        let controller = worker.controller;
        while (!this.stopped && !renewal.lost && !worker.halted) {
          if (controller.signal.aborted) {
            // An interrupt aborted the previous step; later steps get a fresh signal.
            controller = new AbortController();
            worker.controller = controller;
          }
          const ctx: StepContext = {
            tenantId: session.tenant_id,
            sessionId,
            agent,
            store,
            log: this.options.log,
            lease: { owner, token },
            held,
            signal: controller.signal,
            stopping: () => this.stopped,
            model: this.options.model,
            tools: this.options.tools,
            sandbox: () => (sandbox ??= this.openSandbox(session, skills, ctx)),
            retry: this.options.retry,
            logger,
            failures,
            prices: this.options.prices,
            syncMemory: this.options.memory && memoryResourcesOf(session.resources).length > 0 ? () => this.options.memory!.sync(session) : undefined,
            clock: this.options.clock ?? systemClock,
            collectOutputs: sessionFiles ? async () => void (await sessionFiles.collectOutputs(session)) : undefined,
            mcp: this.options.mcp,
          };
          if ((await advance(ctx)) === 'stop') break;
        }
      } while (worker.again && !this.stopped && !renewal.lost && !worker.halted);
      clean = true;
    } catch (err) {
      if (err instanceof LeaseLostError) logger.warn({ sessionId }, err.message);
      else if (!this.stopped && !renewal.lost) await this.onStepFailure({ sessionId, tenantId, token }, err);
    } finally {
      // The session idles, ends or is given up here: its MCP connections close (reopened on the next run).
      await this.options.mcp?.close(sessionId);
      clearInterval(renewal.timer);
      if (!renewal.lost) await store.leases.release(sessionId, owner, token).catch(() => undefined);
      // Kept only after a clean run: a failure's own appends (step-failures.ts) bypass the fold.
      if (held && clean && !renewal.lost && !worker.halted) this.keepFold(sessionId, token, held);
    }
  }

  /** The fold kept from this worker's previous run when nobody held the lease since, else the whole log read. */
  private async takeFold(tenantId: string, sessionId: string, token: number): Promise<HeldSession> {
    const kept = this.heldFolds.get(sessionId);
    this.heldFolds.delete(sessionId);
    return kept && kept.token + 1 === token ? kept.held : HeldSession.load(this.options.store, { tenantId, sessionId });
  }

  private keepFold(sessionId: string, token: number, held: HeldSession): void {
    this.heldFolds.set(sessionId, { token, held });
    if (this.heldFolds.size > HELD_FOLDS_KEPT) this.heldFolds.delete(this.heldFolds.keys().next().value!);
  }

  /**
   * An unexpected step failure: committed as oma.step_failed, retried after a backoff, and after
   * STEP_FAILURE_LIMIT in a row the session ends its turn visibly (step-failures.ts).
   */
  private async onStepFailure(at: { sessionId: string; tenantId: string | undefined; token: number }, err: unknown): Promise<void> {
    const { store, logger, owner, retry } = this.options;
    const { sessionId, tenantId } = at;
    logger.error({ err, sessionId }, 'session step failed');
    if (tenantId === undefined) return;
    try {
      const context = { store, log: this.options.log, tenantId, sessionId, lease: { owner, token: at.token }, limit: this.options.stepFailureLimit };
      const { failures, exhausted } = await recordStepFailure(context, err, this.now());
      if (exhausted) {
        logger.error({ sessionId, failures }, 'session given up after repeated step failures (session.error, retries_exhausted)');
        return;
      }
      const timer = setTimeout(() => this.wake(sessionId), retryDelayMs(failures - 1, retry.baseMs));
      timer.unref();
    } catch (recordError) {
      // The failure could not even be recorded (database down, lease lost): the sweep retries later.
      logger.error({ err: recordError, sessionId }, 'could not record the step failure; the next sweep retries the session');
    }
  }

  /** Renews the lease while the worker runs; when it was taken over, marks it lost and aborts the step. */
  private renewLease(sessionId: string, token: number, worker: Worker): { timer: NodeJS.Timeout; lost: boolean } {
    const { store, logger, owner, leaseTtlMs } = this.options;
    const renewal = {
      lost: false,
      timer: setInterval(() => {
        void store.leases.renew(sessionId, owner, token, this.now() + leaseTtlMs).then(
          (ok) => {
            if (!ok) {
              renewal.lost = true;
              worker.controller.abort();
            }
          },
          (err: unknown) => logger.warn({ err, sessionId }, 'lease renewal failed'),
        );
      }, Math.max(250, leaseTtlMs / 3)),
    };
    renewal.timer.unref();
    return renewal;
  }
}
