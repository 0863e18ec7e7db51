/**
 * LISTEN on one channel over a dedicated connection (a pooled one cannot hold a LISTEN). When the
 * connection drops it reconnects with backoff and calls onReconnect, since notifications sent in
 * between are lost and the caller has to catch up some other way.
 */
import pg from 'pg';
import type { NotificationHandlers, NotificationListener } from '../dialect.ts';

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

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

  constructor(
    private readonly connection: { url: string; applicationName: string },
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
  ) {}

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
    } catch (err) {
      await discard(c);
      throw err;
    }
    if (this.closed) await discard(c);
    else this.client = c;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    if (c) await discard(c);
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
