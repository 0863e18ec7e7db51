/**
 * Session event streams over SSE, written straight to Node's response so backpressure is real.
 * Hand-over without gap or duplicate: subscribe to the hub first (queueing), replay stored events
 * after the cursor, then drain the queue skipping what was already sent. A live event whose seq
 * jumps ahead is preceded by a read of the missing range from the log (commits on one session are
 * serialised, so the range is committed). Replay reads the log in pages bounded by count and bytes
 * and writes as the client reads (it waits for the socket to drain), so a stream holds about one page
 * whatever the log holds; a stored event too large to stream is replaced by an `oma.event_omitted`
 * marker. A live client whose socket buffer is still over a bound when the next frame is due is
 * disconnected; it resumes with Last-Event-ID, so nothing is lost. Open streams are capped
 * (stream-limits.ts).
 */
import type { Context } from 'hono';
import type { ServerResponse } from 'node:http';
import { z } from '@hono/zod-openapi';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Logger } from 'pino';
import type { AppEnv } from './context.ts';
import { parseQuery } from './validation.ts';
import { InvalidRequestError } from '../errors.ts';
import { DELTA_EVENT_TYPES, SPEC_EVENT_TYPES } from './schemas/events.ts';
import type { EventLog } from '../events/log.ts';
import type { HubMessage } from '../events/hub.ts';
import type { StoredEvent } from '../events/types.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { StreamLimiter } from './stream-limits.ts';
import { ephemeralFrame, omittedFrame, storedFrame } from './sse-frames.ts';
import type { KeepAlive, KeepAliveStream } from './sse-keep-alive.ts';

export const streamQuerySchema = z.object({
  event_deltas: z.array(z.string()).max(100).optional(),
  include_extensions: z.enum(['true', 'false', '1', '0']).optional(),
  last_event_id: z.string().regex(/^\d+$/, 'must be an event sequence number').optional(),
});

export interface SseDeps {
  log: EventLog;
  sessions: SessionService;
  logger: Logger;
  /** The server's keep-alive comments (one timer for all its streams). */
  keepAlive: KeepAlive;
  /** Socket buffer (bytes) beyond which a slow client is disconnected. */
  maxBufferedBytes?: number;
  /** Open-stream caps. */
  limiter: StreamLimiter;
  /** MAX_EVENT_BYTES: stored events larger than this (plus framing slack) are sent as a marker. */
  maxEventBytes: number;
}

/** Replay pages: at most this many events and (unless one event alone is larger) this many bytes. */
const REPLAY_PAGE_EVENTS = 1000;
const REPLAY_PAGE_BYTES = 1024 * 1024;
/** Room for what a frame adds to a payload (type, id, processed_at, SSE fields). */
const FRAME_SLACK_BYTES = 64 * 1024;

export async function streamSessionEvents(c: Context<AppEnv>, deps: SseDeps): Promise<Response> {
  const tenantId = c.get('principal').tenantId;
  const sessionId = c.req.param('session_id')!;
  const q = parseQuery(c, streamQuerySchema, ['event_deltas']);
  const deltas = new Set(q.event_deltas ?? []);
  for (const d of deltas) if (!DELTA_EVENT_TYPES.has(d)) throw new InvalidRequestError(`event_deltas: ${JSON.stringify(d)} is not supported; use agent.message or agent.thinking`);
  const header = c.req.header('last-event-id');
  if (header !== undefined && !/^\d+$/.test(header.trim())) throw new InvalidRequestError('Last-Event-ID must be the sequence number (the SSE id:) of the last event received');
  const cursorText = header?.trim() ?? q.last_event_id;
  const session = await deps.sessions.getRow(tenantId, sessionId);
  const includeExtensions = q.include_extensions === 'true' || q.include_extensions === '1';
  const release = deps.limiter.acquire(c.get('principal'));
  const stream = new SessionStream(deps, (c.env as { outgoing: ServerResponse }).outgoing, {
    tenantId,
    sessionId,
    deltas,
    visible: (type) => includeExtensions || SPEC_EVENT_TYPES.has(type),
    cursor: cursorText === undefined ? undefined : Number(cursorText),
    sessionLastSeq: Number(session.last_seq),
    release,
  });
  await stream.open(c.get('requestId'));
  return RESPONSE_ALREADY_SENT;
}

interface StreamTarget {
  tenantId: string;
  sessionId: string;
  deltas: Set<string>;
  visible: (type: string) => boolean;
  /** Last-Event-ID: replay after it. Undefined: live only, from the session's current position. */
  cursor: number | undefined;
  sessionLastSeq: number;
  /** Gives the stream's slot back to the limiter; called once the stream is closed. */
  release: () => void;
}

/** One open stream: hub messages queue while the replay runs, then drain in order. */
class SessionStream implements KeepAliveStream {
  lastWriteTick = 0;
  private lastSent: number;
  private readonly queue: HubMessage[] = [];
  private closed = false;
  /** True until the headers are out, so hub messages only queue meanwhile. */
  private pumping = true;
  private readonly unsubscribe: () => void;
  private readonly maxBuffered: number;
  private readonly maxFrameBytes: number;

  constructor(private readonly deps: SseDeps, private readonly res: ServerResponse, private readonly target: StreamTarget) {
    this.lastSent = target.cursor ?? target.sessionLastSeq;
    this.maxBuffered = deps.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.maxFrameBytes = deps.maxEventBytes + FRAME_SLACK_BYTES;
    // Subscribe before reading the log so nothing committed in between is missed.
    this.unsubscribe = deps.log.hub.subscribe(target.sessionId, (m) => this.enqueue(m));
    res.on('close', () => this.close());
  }

  /** Sends the headers, replays after the cursor, then lets live messages through. Throws (nothing sent) if the session is gone. */
  async open(requestId: string): Promise<void> {
    const { deps, res, target } = this;
    // Live-only streams start at the session's position read *after* subscribing and *before* the
    // headers go out: with the position read only before subscribing (as before), an event committed
    // in between was neither published to us nor replayed, and waited for the next event to be
    // noticed (forever, if it was the turn's last). Events committed after the headers are all sent.
    if (target.cursor === undefined) {
      try {
        const now = await deps.sessions.getRow(target.tenantId, target.sessionId);
        this.lastSent = Math.max(this.lastSent, Number(now.last_seq));
      } catch (err) {
        this.closed = true; // not close(): that would end the response before the error is sent
        this.unsubscribe();
        target.release();
        throw err; // e.g. deleted meanwhile: a JSON error, nothing streamed yet
      }
    }
    if (this.closed) return; // the client left meanwhile
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'request-id': requestId,
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    deps.keepAlive.add(this);
    try {
      if (target.cursor !== undefined) await this.replayUntil(Number.MAX_SAFE_INTEGER);
    } catch (err) {
      deps.logger.error({ err, sessionId: target.sessionId }, 'SSE replay failed');
      this.close();
    } finally {
      this.pumping = false;
    }
    // Messages that arrived before the headers were queued (pump waits for `pumping`): send them now.
    void this.pump();
  }

  /**
   * The hub's listener. A message that needs no read of the log (the next events in order, a
   * preview, a deletion) while nothing is queued or being replayed is written at once, inside the
   * hub's publish: no promise, queue entry or microtask per stream per event, so a fan-out to 1,000
   * streams is one synchronous pass of writes, as a bare server's is. Anything else (a gap to fill
   * from the log, a replay in progress) queues for the pump, which keeps the order.
   */
  private enqueue(m: HubMessage): void {
    if (!this.pumping && this.queue.length === 0 && !this.closed) {
      try {
        if (this.handleAtOnce(m)) return;
      } catch (err) {
        this.fail(err);
        return;
      }
    }
    this.queue.push(m);
    if (this.queue.length > 10_000) {
      this.deps.logger.warn({ sessionId: this.target.sessionId }, 'SSE client queue overflow; disconnecting (it can resume with Last-Event-ID)');
      this.res.destroy();
      this.close();
      return;
    }
    void this.pump();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.target.release();
    this.deps.keepAlive.delete(this);
    this.queue.length = 0;
    if (!this.res.writableEnded) this.res.end();
  }

  /**
   * Writes one frame unless the client is still holding the previous ones: the bound applies to what
   * is buffered before this frame, so one frame as large as an event may be allows always goes out.
   * Corked around the write, node's response hands the chunk (size line, frame, CRLF) to the socket
   * at uncork, inside this call: left to itself it corks the socket and uncorks on the next tick,
   * after the rest of the microtask queue, so a live frame waited for whatever ran after the publish.
   * Inside a corked replay page the uncork only lowers the count; the page goes out at its own.
   */
  private write(frame: string): void {
    if (this.closed) return;
    const { res } = this;
    if (res.writableLength > this.maxBuffered) {
      this.deps.logger.warn({ sessionId: this.target.sessionId, buffered: res.writableLength }, 'SSE client too slow; disconnecting (it can resume with Last-Event-ID)');
      res.destroy();
      this.close();
      return;
    }
    res.cork();
    res.write(frame);
    res.uncork();
    this.lastWriteTick = this.deps.keepAlive.ticks;
  }

  ping(): void {
    this.write(': keep-alive\n\n');
  }

  private sendStored(e: StoredEvent): void {
    if (e.seq <= this.lastSent) return;
    this.lastSent = e.seq;
    if (!this.target.visible(e.type)) return;
    const frame = storedFrame(e);
    if (frame.length > this.maxFrameBytes) this.write(omittedFrame({ ...e, bytes: Buffer.byteLength(frame) }, this.target.sessionId, this.maxFrameBytes));
    else this.write(frame);
  }

  private async drained(): Promise<void> {
    if (this.closed || !this.res.writableNeedDrain) return;
    // Whichever comes first removes the other listener: left behind, each wait of a long replay
    // added a 'close' listener to the response (MaxListenersExceededWarning after 10).
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done).off('close', done);
        resolve();
      };
      this.res.on('drain', done).on('close', done);
    });
  }

  /**
   * Replays (lastSent, untilSeq] in pages bounded by REPLAY_PAGE_EVENTS and REPLAY_PAGE_BYTES, sizes
   * read first so an oversized event is never loaded; each page waits for the socket to drain.
   */
  private async replayUntil(untilSeq: number): Promise<void> {
    const { tenantId, sessionId } = this.target;
    while (!this.closed && this.lastSent < untilSeq) {
      const sizes = await this.deps.log.listSizes(tenantId, sessionId, { afterSeq: this.lastSent, beforeSeq: untilSeq + 1, limit: REPLAY_PAGE_EVENTS });
      if (sizes.length === 0) break;
      const first = sizes[0]!;
      if (first.bytes > this.maxFrameBytes) {
        this.lastSent = first.seq;
        if (this.target.visible(first.type)) this.write(omittedFrame(first, sessionId, this.maxFrameBytes));
        await this.drained();
        continue;
      }
      let count = 0;
      let bytes = 0;
      for (const size of sizes) {
        if (size.bytes > this.maxFrameBytes || (count > 0 && bytes + size.bytes > REPLAY_PAGE_BYTES)) break;
        bytes += size.bytes;
        count++;
      }
      const page = await this.deps.log.list(tenantId, sessionId, { afterSeq: this.lastSent, beforeSeq: sizes[count - 1]!.seq + 1, order: 'asc', limit: count });
      if (page.length === 0) break;
      // One page goes out corked, as one write of at most about REPLAY_PAGE_BYTES, then the stream
      // waits for the socket to drain: frame by frame, a 50,000-event replay was 50,000 writes.
      this.res.cork();
      try {
        for (const e of page) this.sendStored(e);
      } finally {
        this.res.uncork();
      }
      await this.drained();
    }
  }

  /** Handles a message that needs no read of the log; false (nothing done) for events after a gap. */
  private handleAtOnce(m: HubMessage): boolean {
    if (m.kind === 'events') {
      const first = m.events[0];
      if (first && first.seq > this.lastSent + 1) return false;
      for (const e of m.events) this.sendStored(e);
    } else if (m.kind === 'ephemeral') {
      if (this.target.deltas.has(m.event.previews)) this.write(ephemeralFrame(m.event.data));
    } else {
      const data = { type: 'session.deleted', id: `sevt_deleted_${this.target.sessionId}`, processed_at: new Date().toISOString() };
      this.write(`event: session.deleted\nid: ${m.seq}\ndata: ${JSON.stringify(data)}\n\n`);
      this.close();
    }
    return true;
  }

  private async handle(m: HubMessage): Promise<void> {
    if (this.handleAtOnce(m)) return;
    // Events after a gap (handleAtOnce wrote nothing): read the missing range first, then send them.
    const events = (m as Extract<HubMessage, { kind: 'events' }>).events;
    await this.replayUntil(events[0]!.seq - 1);
    for (const e of events) this.sendStored(e);
  }

  private fail(err: unknown): void {
    this.deps.logger.error({ err, sessionId: this.target.sessionId }, 'SSE stream failed');
    this.write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'stream failed; reconnect with Last-Event-ID' } })}\n\n`);
    this.close();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.queue.length > 0) await this.handle(this.queue.shift()!);
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
    }
  }
}
