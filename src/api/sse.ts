/**
 * Session event streams over SSE, written straight to Node's response so backpressure is real.
 * Hand-over without gap or duplicate: subscribe to the hub first (queueing), replay stored events
 * after the cursor, then drain the queue skipping what was already sent. A live event whose seq
 * jumps ahead is preceded by a read of the missing range from the log (commits on one session are
 * serialised, so the range is committed). A client whose socket buffer grows past a bound is
 * disconnected; it resumes with Last-Event-ID, so nothing is lost.
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
import { toWireEvent, type StoredEvent } from '../events/types.ts';
import type { SessionService } from '../sessions/session-service.ts';

export const streamQuerySchema = z.object({
  event_deltas: z.array(z.string()).max(100).optional(),
  include_extensions: z.enum(['true', 'false', '1', '0']).optional(),
  last_event_id: z.string().regex(/^\d+$/, 'must be an event sequence number').optional(),
});

export interface SseDeps {
  log: EventLog;
  sessions: SessionService;
  logger: Logger;
  /** Comment heartbeat interval (ms). */
  heartbeatMs?: number;
  /** Socket buffer (bytes) beyond which a slow client is disconnected. */
  maxBufferedBytes?: number;
}

const REPLAY_BATCH = 500;

/**
 * A live event reaches every open stream of its session as the same object, so its frame is
 * serialised once and shared (1,000 streams on one session cost one JSON.stringify, not 1,000).
 */
const frames = new WeakMap<object, string>();
function storedFrame(e: StoredEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    frame = `event: ${e.type}\nid: ${e.seq}\ndata: ${JSON.stringify(toWireEvent(e))}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}
function ephemeralFrame(data: Record<string, unknown>): string {
  let frame = frames.get(data);
  if (frame === undefined) {
    frame = `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
    frames.set(data, frame);
  }
  return frame;
}

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
  const visible = (type: string) => includeExtensions || SPEC_EVENT_TYPES.has(type);

  const res = (c.env as { outgoing: ServerResponse }).outgoing;
  let lastSent = cursorText === undefined ? Number(session.last_seq) : Number(cursorText);
  const queue: HubMessage[] = [];
  let closed = false;
  // True until the headers are out, so hub messages only queue meanwhile.
  let pumping = true;
  let heartbeat: NodeJS.Timeout | undefined;
  const maxBuffered = deps.maxBufferedBytes ?? 4 * 1024 * 1024;

  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (heartbeat) clearInterval(heartbeat);
    queue.length = 0;
    if (!res.writableEnded) res.end();
  };
  const write = (frame: string) => {
    if (closed) return;
    res.write(frame);
    if (res.writableLength > maxBuffered) {
      deps.logger.warn({ sessionId, buffered: res.writableLength }, 'SSE client too slow; disconnecting (it can resume with Last-Event-ID)');
      res.destroy();
      close();
    }
  };
  const sendStored = (e: StoredEvent) => {
    if (e.seq <= lastSent) return;
    lastSent = e.seq;
    if (visible(e.type)) write(storedFrame(e));
  };
  const replayUntil = async (untilSeq: number) => {
    while (!closed && lastSent < untilSeq) {
      const batch = await deps.log.list(tenantId, sessionId, { afterSeq: lastSent, beforeSeq: untilSeq + 1, order: 'asc', limit: REPLAY_BATCH });
      if (batch.length === 0) break;
      for (const e of batch) sendStored(e);
      if (res.writableNeedDrain) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    }
  };
  const handle = async (m: HubMessage) => {
    if (m.kind === 'events') {
      const first = m.events[0];
      if (first && first.seq > lastSent + 1) await replayUntil(first.seq - 1);
      for (const e of m.events) sendStored(e);
    } else if (m.kind === 'ephemeral') {
      if (deltas.has(m.event.previews)) write(ephemeralFrame(m.event.data));
    } else {
      write(`event: session.deleted\nid: ${m.seq}\ndata: ${JSON.stringify({ type: 'session.deleted', id: `sevt_deleted_${sessionId}`, processed_at: new Date().toISOString() })}\n\n`);
      close();
    }
  };
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (!closed && queue.length > 0) await handle(queue.shift()!);
    } catch (err) {
      deps.logger.error({ err, sessionId }, 'SSE stream failed');
      write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'stream failed; reconnect with Last-Event-ID' } })}\n\n`);
      close();
    } finally {
      pumping = false;
    }
  };

  // Subscribe before reading the log so nothing committed in between is missed.
  const unsubscribe = deps.log.hub.subscribe(sessionId, (m) => {
    queue.push(m);
    if (queue.length > 10_000) {
      deps.logger.warn({ sessionId }, 'SSE client queue overflow; disconnecting (it can resume with Last-Event-ID)');
      res.destroy();
      close();
      return;
    }
    void pump();
  });
  res.on('close', close);

  // Live-only streams start at the session's position read *after* subscribing and *before* the
  // headers go out: with the position read only before subscribing (as before), an event committed
  // in between was neither published to us nor replayed, and waited for the next event to be
  // noticed (forever, if it was the turn's last). Events committed after the headers are all sent.
  if (cursorText === undefined) {
    try {
      const now = await deps.sessions.getRow(tenantId, sessionId);
      lastSent = Math.max(lastSent, Number(now.last_seq));
    } catch (err) {
      closed = true; // not close(): that would end the response before the error is sent
      unsubscribe();
      throw err; // e.g. deleted meanwhile: a JSON error, nothing streamed yet
    }
  }
  if (closed) return RESPONSE_ALREADY_SENT; // the client left meanwhile
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'request-id': c.get('requestId'),
  });
  res.flushHeaders();
  res.write('retry: 2000\n\n');
  heartbeat = setInterval(() => write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
  heartbeat.unref();

  try {
    if (cursorText !== undefined) await replayUntil(Number.MAX_SAFE_INTEGER);
  } catch (err) {
    deps.logger.error({ err, sessionId }, 'SSE replay failed');
    close();
  } finally {
    pumping = false;
  }
  // Messages that arrived before the headers were queued (pump waits for `pumping`): send them now.
  void pump();
  return RESPONSE_ALREADY_SENT;
}
