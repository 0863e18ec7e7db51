/**
 * The webhook dispatcher, one per server instance, polling the database (the outbox is the truth,
 * never this process's memory):
 *  1. fan-out: session lifecycle rows past each session's cursor become webhook events
 *     (session-fanout.ts); other events were enqueued by their own transactions. A poll reads only
 *     the sessions changed since the previous pass ("Which sessions a pass reads" below), with a
 *     slow full sweep as the safety net;
 *  2. sending: for each enabled endpoint with due deliveries, take its lease (one instance at a time
 *     per endpoint, `webhooks.lease_owner/lease_until`, LEASE_TTL_MS), POST its due deliveries in
 *     event order, and record each attempt with its outcome in one transaction. An endpoint's
 *     first failed attempt ends its turn in the pass (one timeout per pass for a dead endpoint);
 *  3. retention: hourly, finished deliveries older than WEBHOOK_RETENTION_DAYS (and pending ones
 *     that old of an endpoint not enabled) are deleted with their attempts, and events with their
 *     last delivery (retention() below).
 * At-least-once: a crash between a POST and its record sends it again (same webhook-id); nothing is
 * sent that no committed transaction enqueued. Retries follow RETRY_DELAYS_MS; an endpoint whose
 * every attempt failed for DISABLE_AFTER_MS is auto_disabled with the reason. Times come from the
 * injected clock, except `webhook-timestamp`, which receivers compare with their own wall clock.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { WebhookTable } from '../store/schema.ts';
import type { DueDelivery } from '../store/webhooks-repository.ts';
import type { SecretBox } from '../vault/secret-box.ts';
import { sealContext, sealedColumn } from '../vault/sealed-columns.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { toIso } from '../lib/time.ts';
import { fanOutSession } from './session-fanout.ts';
import { payloadBody } from './webhook-mapper.ts';
import { signedHeaders } from './webhook-signing.ts';

/** Delay before retry n (after the n-th failed attempt): 5 s … 8 h, about 24 hours in all; then the delivery is failed. */
export const RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000];
/** An endpoint whose attempts all failed for this long (5 days) is auto_disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3_600_000;

/**
 * Which sessions a pass reads. A full sweep (every session of a tenant with an endpoint, the join on
 * the cursors) costs as much as the number of sessions, which at every WEBHOOK_POLL_MS does not scale.
 * So a pass after a clean one reads only sessions whose updated_at is at or after the previous clean
 * pass's mark minus CHANGE_MARGIN_MS (an index range, sessionsToFanOut). The mark is taken before the
 * pass reads anything: the latest updated_at committed, capped at this instance's clock (a writer whose
 * clock runs far ahead must not move the window past everyone else's writes).
 * What it trades: updated_at is the writer's clock when it built its transaction, not the commit
 * order. A commit that lands more than the margin after its timestamp (a very slow transaction), or
 * from an instance whose clock is more than the margin behind, falls before the window; it is then
 * fanned out by the next full sweep (FULL_SWEEP_MS later), late but neither lost nor doubled: the
 * cursors and their compare-and-set are the only truth about what was fanned out, the mark only
 * narrows the search. The mark is this process's memory: a (re)started instance begins with a full
 * sweep; a pass that did not finish (a failed session, the page limit, a stop) keeps the old mark, so
 * its window only widens until a pass is clean. The index costs every append one more index write.
 */
export const CHANGE_MARGIN_MS = 60_000;
/** How often each instance runs the retention sweep (RETENTION_BATCH rows per transaction, RETENTION_BATCHES per pass). */
export const RETENTION_SWEEP_MS = 3_600_000;
const RETENTION_BATCH = 500;
const RETENTION_BATCHES = 20;
export const FULL_SWEEP_MS = 5 * 60_000;

export const SECRET_COLUMN = sealedColumn('webhooks', 'secret');
export const PREVIOUS_SECRET_COLUMN = sealedColumn('webhooks', 'previous_secret');

/** How a delivery is POSTed (VaultHttp: the egress policy with VAULT_ALLOWED_PRIVATE_HOSTS, no redirects followed). */
export interface WebhookHttp {
  post(url: string, request: { headers: Record<string, string>; body: string }): Promise<{ status: number }>;
}

export interface DispatcherOptions {
  store: Store;
  secretBox: SecretBox;
  http: WebhookHttp;
  logger: Logger;
  /** This instance's id (INSTANCE_ID): the lease owner. */
  owner: string;
  leaseTtlMs: number;
  pollMs: number;
  clock?: Clock;
  /** For `webhook-timestamp` only (default: system time). */
  wallClock?: Clock;
  /** Default CHANGE_MARGIN_MS / FULL_SWEEP_MS (tests). */
  changeMarginMs?: number;
  fullSweepMs?: number;
  /** WEBHOOK_RETENTION_DAYS in ms: finished deliveries older than this are deleted (undefined: kept). */
  retentionMs?: number;
}

export interface DispatchResult { fannedOut: number; attempted: number }

export class WebhookDispatcher {
  private readonly clock: Clock;
  private readonly wallClock: Clock;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DispatchResult> | undefined;
  private stopped = false;
  /** Sessions changed at or after this (minus the margin) are read; undefined: the next pass is a full sweep. */
  private mark: number | undefined;
  private lastFullSweepAt = 0;
  private lastRetentionAt: number | undefined;

  constructor(private readonly o: DispatcherOptions) {
    this.clock = o.clock ?? systemClock;
    this.wallClock = o.wallClock ?? systemClock;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.runOnce().catch((err: unknown) => this.o.logger.warn({ err }, 'webhook dispatch failed; retrying at the next poll'));
    }, this.o.pollMs);
    this.timer.unref();
  }

  /** Stops polling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (fan-out, then sending); a call during a pass waits for it and runs another. */
  async runOnce(): Promise<DispatchResult> {
    while (this.running) await this.running.catch(() => undefined);
    const pass = this.pass().finally(() => {
      this.running = undefined;
    });
    this.running = pass;
    return pass;
  }

  private async pass(): Promise<DispatchResult> {
    let fannedOut = 0;
    const startedAt = this.clock.now();
    const full = this.mark === undefined || startedAt - this.lastFullSweepAt >= (this.o.fullSweepMs ?? FULL_SWEEP_MS);
    const changedSince = full ? undefined : this.mark! - (this.o.changeMarginMs ?? CHANGE_MARGIN_MS);
    const nextMark = Math.min(startedAt, (await this.o.store.webhooks.latestSessionChange()) ?? startedAt);
    let clean = false;
    let anyFailed = false;
    for (let page = 0; page < 20 && !this.stopped; page++) {
      const sessions = await this.o.store.webhooks.sessionsToFanOut(200, changedSince);
      let failed = 0;
      for (const session of sessions) {
        // One session's failure is its own (its cursor stays, so it is tried again next poll): it
        // must not keep every tenant's other sessions and all sending waiting behind it.
        try {
          fannedOut += await fanOutSession(this.o.store, session, this.clock.now());
        } catch (err) {
          failed++;
          this.o.logger.warn({ err, sessionId: session.id }, 'could not fan out a session\'s webhook events; tried again at the next poll');
        }
      }
      // A full page that only failed would come back the same: leave it to the next poll.
      anyFailed ||= failed > 0;
      if (sessions.length < 200 || failed === sessions.length) {
        clean = !anyFailed && !this.stopped;
        break;
      }
    }
    if (clean) {
      this.mark = nextMark;
      if (full) this.lastFullSweepAt = startedAt;
    }
    const due = this.stopped ? [] : await this.o.store.webhooks.dueWebhooks(this.clock.now(), 50);
    // Each endpoint's failure is its own: one that throws must not end the pass while the others'
    // POSTs are in flight (the next pass would start beside them and, holding the same lease, send
    // their deliveries again).
    const counts = await Promise.all(due.map((id) => this.sendEndpoint(id).catch((err: unknown) => {
      this.o.logger.warn({ err, webhookId: id }, 'sending to a webhook endpoint failed; its deliveries are tried again at the next poll');
      return 0;
    })));
    if (!this.stopped) await this.retention().catch((err: unknown) => this.o.logger.warn({ err }, 'webhook retention sweep failed; tried again at the next poll'));
    return { fannedOut, attempted: counts.reduce((a, b) => a + b, 0) };
  }

  /**
   * Deletes finished deliveries older than retentionMs, at most RETENTION_BATCHES batches of
   * RETENTION_BATCH rows (each its own short transaction, so sending is not held behind one big
   * delete); a sweep that hit that bound continues at the next pass. Several instances sweeping at
   * once only delete the same rows (each DELETE re-tests its rows).
   */
  private async retention(): Promise<void> {
    const { retentionMs } = this.o;
    const now = this.clock.now();
    if (retentionMs === undefined || (this.lastRetentionAt !== undefined && now - this.lastRetentionAt < RETENTION_SWEEP_MS)) return;
    for (let batch = 0; batch < RETENTION_BATCHES && !this.stopped; batch++) {
      const deleted = await this.o.store.transaction((tx) => tx.webhooks.deleteFinishedBefore(now - retentionMs, RETENTION_BATCH));
      if (deleted < RETENTION_BATCH) {
        this.lastRetentionAt = now;
        return;
      }
    }
  }

  /** Sends an endpoint's due deliveries in order while this instance holds its lease. */
  private async sendEndpoint(webhookId: string): Promise<number> {
    const { store, owner, leaseTtlMs } = this.o;
    if (!(await store.webhooks.claim(webhookId, owner, this.clock.now(), leaseTtlMs))) return 0;
    let attempted = 0;
    try {
      for (let batch = 0; batch < 10 && !this.stopped; batch++) {
        const due = await store.webhooks.dueDeliveries(webhookId, this.clock.now(), 20);
        if (due.length === 0) break;
        for (const delivery of due) {
          // Renew before each send; a lost lease (we stalled past it) or a disabled endpoint stops here.
          if (this.stopped || !(await store.webhooks.claim(webhookId, owner, this.clock.now(), leaseTtlMs))) return attempted;
          const webhook = await store.webhooks.find(delivery.delivery.tenant_id, webhookId);
          if (!webhook || webhook.status !== 'enabled') return attempted;
          attempted++;
          // A failed attempt ends this endpoint's turn in the pass: the rest of its deliveries wait for
          // the next pass rather than each waiting out a dead endpoint's timeout, which held the
          // pass (and so every other endpoint's next pass) for up to 200 timeouts.
          if (!(await this.attempt(webhook, delivery))) return attempted;
        }
      }
    } finally {
      await store.webhooks.release(webhookId, owner).catch((err: unknown) => this.o.logger.warn({ err, webhookId }, 'could not release webhook lease; it expires'));
    }
    return attempted;
  }

  /** The secrets to sign with now: the current one, plus the previous one during its grace period. */
  private secrets(webhook: WebhookTable, now: number): string[] {
    const secrets = [this.o.secretBox.open(sealContext(SECRET_COLUMN, webhook.tenant_id, webhook.id), webhook.secret)];
    if (webhook.previous_secret && Number(webhook.previous_secret_expires_at ?? 0) > now) {
      secrets.push(this.o.secretBox.open(sealContext(PREVIOUS_SECRET_COLUMN, webhook.tenant_id, webhook.id), webhook.previous_secret));
    }
    return secrets;
  }

  /** Sends one delivery and records the attempt; true when the endpoint accepted it. */
  private async attempt(webhook: WebhookTable, due: DueDelivery): Promise<boolean> {
    const { delivery } = due;
    const startedAt = this.clock.now();
    const body = payloadBody({ id: delivery.event_id, tenantId: delivery.tenant_id, createdAt: due.eventAt, data: due.eventData });
    const headers = { 'content-type': 'application/json', 'user-agent': 'open-managed-agents-webhooks', ...signedHeaders(this.secrets(webhook, startedAt), delivery.event_id, this.wallClock.now(), body) };
    const t0 = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = (await this.o.http.post(webhook.url, { headers, body })).status;
      if (status < 200 || status > 299) error = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const durationMs = Math.round(performance.now() - t0);
    const ok = error === null;
    const attempts = Number(delivery.attempts) + 1;
    const now = this.clock.now();
    await this.o.store.transaction(async (tx) => {
      await tx.webhooks.insertAttempt({
        delivery_id: delivery.id, attempt: attempts, tenant_id: delivery.tenant_id, kind: delivery.redeliver_requested_at ? 'redeliver' : 'automatic',
        started_at: startedAt, duration_ms: durationMs, status_code: status, error,
      });
      const retryIn = RETRY_DELAYS_MS[attempts - 1];
      await tx.webhooks.updateDelivery(delivery.id, {
        state: ok ? 'delivered' : retryIn === undefined ? 'failed' : 'pending',
        attempts, last_attempt_at: startedAt, last_status_code: status, last_error: error,
        next_attempt_at: ok || retryIn === undefined ? null : now + retryIn, delivered_at: ok ? now : delivery.delivered_at,
        redeliver_requested_at: null, updated_at: now,
      });
      if (ok) {
        if (webhook.failing_since !== null) await tx.webhooks.update(webhook.tenant_id, webhook.id, { failing_since: null });
        return;
      }
      const failingSince = webhook.failing_since === null ? startedAt : Number(webhook.failing_since);
      if (startedAt - failingSince >= DISABLE_AFTER_MS) {
        await tx.webhooks.update(webhook.tenant_id, webhook.id, {
          status: 'auto_disabled', failing_since: failingSince, updated_at: now,
          disabled_reason: `every delivery attempt since ${toIso(failingSince)} failed (last: ${error}); fix the endpoint, then re-enable it with POST /v1/webhooks/${webhook.id} {"status":"enabled"}`,
        });
      } else if (webhook.failing_since === null) {
        await tx.webhooks.update(webhook.tenant_id, webhook.id, { failing_since: failingSince });
      }
    });
    this.o.logger.debug({ webhookId: webhook.id, deliveryId: delivery.id, eventId: delivery.event_id, attempt: attempts, status, error }, ok ? 'webhook delivered' : 'webhook delivery failed');
    return ok;
  }
}
