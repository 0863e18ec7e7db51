/**
 * Several instances on one Postgres database: what another instance commits reaches this one through
 * the database's notifications (see store/postgres/notify-triggers.ts), so that
 * - a stream open here sees events of a turn another instance runs, as they commit (read once from
 *   the log per notification, whatever the number of streams; each stream fills gaps itself);
 * - user input posted to another instance reaches a turn this instance runs at once (an interrupt
 *   aborts the step in flight), and a session nobody runs is taken over shortly after if the
 *   instance that took the input did not start it (instead of at the next sweep);
 * - an archive or delete made elsewhere stops the work and the sandbox here, and ends streams.
 * Notifications are lost while the listening connection is down; after it reconnects, every
 * watched session is caught up from the log and the harness sweeps.
 */
import type { Logger } from 'pino';
import type { NotificationListener, StoreDialect } from '../store/dialect.ts';
import type { Store } from '../store/store.ts';
import type { SessionLifecycle } from '../sessions/session-service.ts';
import type { InProcessEventHub } from './hub.ts';
import type { EventLog } from './log.ts';

/** At most this many events are read per notification; streams read any older gap themselves. */
const MAX_RELAYED = 500;

interface Notice {
  o?: string;
  s?: string;
  t?: string;
  f?: number;
  l?: number;
  i?: boolean;
  x?: boolean;
  a?: boolean;
  d?: number;
  h?: boolean;
}

export interface RelayDeps {
  store: Store;
  hub: InProcessEventHub;
  log: EventLog;
  lifecycle: SessionLifecycle;
  /** Wakes every session that needs work (the harness sweep); run after a reconnect. */
  sweep(): Promise<void>;
  logger: Logger;
}

export class CrossInstanceRelay {
  /** Per-session chain, so notifications of one session are relayed in order and never concurrently. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly deps: RelayDeps, private readonly origin: string) {}

  /** Listens when the database can notify (Postgres); undefined otherwise (one instance per SQLite file). */
  static async start(dialect: StoreDialect, channel: string, deps: RelayDeps): Promise<NotificationListener | undefined> {
    if (!dialect.capabilities.supportsListenNotify || !dialect.listen || dialect.origin === undefined) return undefined;
    const relay = new CrossInstanceRelay(deps, dialect.origin);
    return dialect.listen(channel, {
      onMessage: (payload) => relay.handle(payload),
      onReconnect: () => relay.catchUp(),
      onError: (err) => deps.logger.warn({ err }, 'cross-instance notifications interrupted; reconnecting'),
    });
  }

  /**
   * Graceful handover: after a stopping instance's harness gave its leases up, tells the other
   * instances to take those sessions at once (instead of at their next sweep).
   */
  static async handOver(dialect: StoreDialect, channel: string, sessionIds: string[]): Promise<void> {
    if (!dialect.notify) return;
    for (const s of sessionIds) await dialect.notify(channel, JSON.stringify({ o: dialect.origin, s, h: true }));
  }

  handle(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      this.deps.logger.warn({ payload }, 'ignoring an unreadable cross-instance notification');
      return;
    }
    const sessionId = notice.s;
    if (typeof sessionId !== 'string' || notice.o === this.origin) return;
    const { lifecycle } = this.deps;
    if (notice.d !== undefined) {
      this.deps.hub.publish(sessionId, { kind: 'deleted', sessionId, seq: notice.d });
      this.run(sessionId, () => lifecycle.destroy(sessionId));
      return;
    }
    if (notice.a) {
      this.run(sessionId, () => lifecycle.stop(sessionId));
      return;
    }
    if (notice.h) {
      lifecycle.wake(sessionId); // its lease was given up: take the session at once
      return;
    }
    if (notice.i) lifecycle.wake(sessionId, { interrupt: notice.x === true, fromOtherInstance: true });
    const { t: tenantId, f: first, l: last } = notice;
    if (tenantId !== undefined && first !== undefined && last !== undefined) this.run(sessionId, () => this.relayEvents(tenantId, sessionId, first, last));
  }

  /** After a reconnect: wake whatever needs work and bring every watched session's streams up to date. */
  catchUp(): void {
    void this.deps.sweep().catch((err: unknown) => this.deps.logger.error({ err }, 'sweep after reconnect failed'));
    for (const sessionId of this.deps.hub.subscribedSessions()) {
      this.run(sessionId, async () => {
        const row = await this.deps.store.sessions.findAnyTenant(sessionId);
        const published = this.deps.hub.lastPublishedSeq(sessionId) ?? 0;
        if (!row) this.deps.hub.publish(sessionId, { kind: 'deleted', sessionId, seq: published + 1 });
        else if (Number(row.last_seq) > published) await this.relayEvents(row.tenant_id, sessionId, Number(row.last_seq), Number(row.last_seq));
      });
    }
  }

  /** Publishes events first..last of a session to this instance's streams, unless they have them already. */
  private async relayEvents(tenantId: string, sessionId: string, first: number, last: number): Promise<void> {
    const published = this.deps.hub.lastPublishedSeq(sessionId);
    if (published === undefined) return; // nobody watches the session here
    const from = Math.max(first, published + 1, last - MAX_RELAYED + 1);
    if (from > last) return;
    const events = await this.deps.log.list(tenantId, sessionId, { afterSeq: from - 1, beforeSeq: last + 1, order: 'asc', limit: last - from + 1 });
    if (events.length > 0) this.deps.hub.publish(sessionId, { kind: 'events', events });
  }

  private run(sessionId: string, task: () => Promise<void>): void {
    const next = (this.chains.get(sessionId) ?? Promise.resolve())
      .then(task)
      .catch((err: unknown) => this.deps.logger.error({ err, sessionId }, 'relaying a cross-instance notification failed'));
    this.chains.set(sessionId, next);
    void next.finally(() => {
      if (this.chains.get(sessionId) === next) this.chains.delete(sessionId);
    });
  }
}
