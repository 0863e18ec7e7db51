/**
 * A session's event stream over fetch + SSE parsing (instead of EventSource, so the cursor is ours):
 * the first request replays from the start (Last-Event-ID: 0); after a drop it reconnects with the
 * sequence number of the last stored event received, with backoff. Stored events carry `id:` (their
 * sequence number) and are delivered once each, in order; a replayed one at or below the cursor is
 * dropped, so a reconnect neither duplicates nor skips. Frames without `id:` are live-only deltas.
 */

import { tenantHeader } from './tenant.ts';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamHandlers {
  /** A stored event, in sequence order, each sequence number at most once. */
  onEvent(event: Record<string, unknown>, seq: number): void;
  /** A live-only frame (event_start / event_delta); not replayed after a reconnect. */
  onEphemeral(frame: Record<string, unknown>): void;
  onConnection(state: Connection, detail?: string): void;
}

export interface StreamOptions {
  url: string;
  handlers: StreamHandlers;
  /** Delay before reconnect attempt n (0-based), in ms. */
  backoffMs?: (attempt: number) => number;
}

const defaultBackoff = (attempt: number) => Math.min(500 * 2 ** attempt, 8000);

export class SessionEventStream {
  private lastSeq = 0;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly options: StreamOptions) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async run(): Promise<void> {
    const { handlers } = this.options;
    const backoff = this.options.backoffMs ?? defaultBackoff;
    for (let attempt = 0; !this.stopped; ) {
      handlers.onConnection(attempt === 0 && this.lastSeq === 0 ? 'connecting' : 'reconnecting');
      try {
        const res = await fetch(this.options.url, {
          headers: { accept: 'text/event-stream', 'last-event-id': String(this.lastSeq), ...tenantHeader() },
          credentials: 'same-origin',
          signal: this.abort.signal,
        });
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
          handlers.onConnection('closed', body?.error?.message ?? `the server answered ${res.status}`);
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        handlers.onConnection('live');
        attempt = 0;
        if (await this.read(res.body)) return;
      } catch {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      handlers.onConnection('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, backoff(attempt++)));
    }
  }

  /** Reads frames until the stream ends; true when the session is gone (no reconnect). */
  private async read(body: ReadableStream<Uint8Array>): Promise<boolean> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (this.dispatch(frame)) return true;
      }
    }
  }

  private dispatch(frame: string): boolean {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return false; // a comment (heartbeat) or retry: line
    const parsed = JSON.parse(data.join('\n')) as Record<string, unknown>;
    if (id === undefined) {
      this.options.handlers.onEphemeral(parsed);
      return false;
    }
    const seq = Number(id);
    if (!Number.isFinite(seq) || seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    this.options.handlers.onEvent(parsed, seq);
    if (parsed.type === 'session.deleted') {
      this.options.handlers.onConnection('closed', 'this session was deleted');
      return true;
    }
    return false;
  }
}
