/**
 * LISTEN on one channel over a dedicated connection (a pooled one cannot hold a LISTEN), and stay
 * registered in `oma_listeners` while listening (a heartbeat in database time), so that writers
 * notify only while someone else listens (see notify-triggers.ts). When the connection drops it
 * reconnects with backoff and calls onReconnect, since notifications sent in between are lost and
 * the caller has to catch up some other way; likewise when a heartbeat came too late to keep the
 * registration alive.
 */
import pg from 'pg';
import type { NotificationHandlers, NotificationListener } from '../dialect.ts';
import { LISTENER_HEARTBEAT_MS, LISTENER_STALE_MS } from './notify-triggers.ts';

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
const REGISTER_SQL = `INSERT INTO oma_listeners (origin, seen_at) VALUES ($1, ${DB_NOW_MS}) ON CONFLICT (origin) DO UPDATE SET seen_at = EXCLUDED.seen_at`;

/** Ends a client without letting its late errors or 'end' event reach us. */
function discard(c: pg.Client): Promise<void> {
  c.removeAllListeners('end');
  c.on('error', () => undefined);
  return c.end().catch(() => undefined);
}

class ChannelListener implements NotificationListener {
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private backoff = MIN_BACKOFF_MS;
  private readonly heartbeat: NodeJS.Timeout;
  /** When the registration was last renewed (local clock), to notice a heartbeat that came too late. */
  private lastBeat = 0;

  constructor(
    private readonly connection: { url: string; applicationName: string },
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
  ) {
    this.heartbeat = setInterval(() => void this.beat(), LISTENER_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.connection.url, application_name: this.connection.applicationName, connectionTimeoutMillis: 5000 });
    c.on('notification', (n) => {
      if (n.channel === this.channel) this.handlers.onMessage(n.payload ?? '');
    });
    c.on('error', (err) => this.lost(c, err));
    c.on('end', () => this.lost(c, new Error('notification connection ended')));
    try {
      await c.connect();
      await c.query(`LISTEN ${this.channel}`);
      await c.query(REGISTER_SQL, [this.connection.applicationName]);
      this.lastBeat = Date.now();
    } catch (err) {
      await discard(c);
      throw err;
    }
    if (this.closed) await discard(c);
    else this.client = c;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // Writers stop notifying us at once instead of after LISTENER_STALE_MS.
    await c.query('DELETE FROM oma_listeners WHERE origin = $1', [this.connection.applicationName]).catch(() => undefined);
    await discard(c);
  }

  /** Renews the registration; after a gap long enough for writers to have skipped us, catches up. */
  private async beat(): Promise<void> {
    const c = this.client;
    if (!c || this.closed) return;
    try {
      await c.query(REGISTER_SQL, [this.connection.applicationName]);
    } catch {
      return; // the connection's error handler reconnects (and catches up)
    }
    const late = Date.now() - this.lastBeat > LISTENER_STALE_MS;
    this.lastBeat = Date.now();
    if (late && !this.closed) this.handlers.onReconnect();
  }

  private lost(c: pg.Client, err: unknown): void {
    if (this.closed || this.client !== c) return;
    this.client = undefined;
    void discard(c);
    this.handlers.onError(err);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().then(
        () => {
          this.backoff = MIN_BACKOFF_MS;
          if (!this.closed) this.handlers.onReconnect();
        },
        (err: unknown) => {
          this.handlers.onError(err);
          this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
          this.schedule();
        },
      );
    }, this.backoff);
    this.retry.unref();
  }
}

/** Connects and listens (throws if the first attempt fails); later drops reconnect by themselves. */
export async function listenPostgres(connection: { url: string; applicationName: string }, channel: string, handlers: NotificationHandlers): Promise<NotificationListener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid notification channel name: ${channel}`);
  const listener = new ChannelListener(connection, channel, handlers);
  await listener.connect();
  return listener;
}
