/**
 * Writes one resolved turn onto an HTTP response, streaming or not. Pacing delays are the fake
 * model's simulated generation speed; they stop as soon as the client goes away.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { CutTurn, ErrorTurn, ReplyTurn, Turn } from './turns.ts';
import { buildMessage, buildStreamEvents, createId, errorEnvelope, errorTypeFor, formatSse, type SseEvent } from './wire.ts';

export interface ResponseContext {
  res: ServerResponse;
  stream: boolean;
  model: string | undefined;
  /** Aborted when the client closes the connection. */
  closed: AbortSignal;
  /** Called once a stall has sent everything it will send. */
  onStall: () => void;
}

const DEFAULT_CHUNK_SIZE = 5;

interface JsonResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function sendJson(res: ServerResponse, { status, body, headers = {} }: JsonResponse): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': createId('req'), ...headers });
  res.end(JSON.stringify(body));
}

/** Answers with the API's error envelope, its `error.type` derived from the status. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, { status, body: errorEnvelope(errorTypeFor(status), message, createId('req')) });
}

function sendErrorTurn(turn: ErrorTurn, res: ServerResponse): void {
  const headers: Record<string, string> = {};
  if (turn.retryAfter !== undefined) headers['retry-after'] = String(turn.retryAfter);
  if (turn.retryAfterMs !== undefined) headers['retry-after-ms'] = String(turn.retryAfterMs);
  const type = turn.errorType ?? errorTypeFor(turn.status);
  const message = turn.message ?? `fake-model scripted ${turn.status} ${type}`;
  sendJson(res, { status: turn.status, body: errorEnvelope(type, message, createId('req')), headers });
}

function openSse(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': createId('req'),
  });
  res.socket?.setNoDelay(true);
}

/** Writes events in order; resolves false when the client went away before all were written. */
async function writeEvents(events: SseEvent[], context: ResponseContext, delayMs: number): Promise<boolean> {
  for (const [position, event] of events.entries()) {
    if (context.closed.aborted) return false;
    if (delayMs > 0 && position > 0) {
      const waited = await delay(delayMs, true, { signal: context.closed }).catch(() => false);
      if (!waited) return false;
    }
    // Waiting for the flush keeps a following socket.destroy() from discarding the events.
    await new Promise<void>((resolve) => context.res.write(formatSse(event), () => resolve()));
  }
  return true;
}

async function sendReply(turn: ReplyTurn, context: ResponseContext): Promise<void> {
  const message = buildMessage(turn, context.model);
  if (!context.stream) return sendJson(context.res, { status: 200, body: message });
  openSse(context.res);
  const events = buildStreamEvents(message, turn.chunkSize ?? DEFAULT_CHUNK_SIZE);
  if (await writeEvents(events, context, turn.chunkDelayMs ?? 0)) context.res.end();
}

/** The events a cut turn sends before it stops: everything up to and including the Nth delta. */
function eventsBeforeCut(turn: CutTurn, context: ResponseContext): SseEvent[] {
  const message = buildMessage({ kind: 'reply', content: turn.content }, context.model);
  const all = buildStreamEvents(message, turn.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const cut: SseEvent[] = [all[0]!];
  let deltas = 0;
  for (const event of all.slice(1)) {
    if (deltas >= turn.afterDeltas) break;
    cut.push(event);
    if (event.isDelta) deltas += 1;
  }
  return cut;
}

async function sendCut(turn: CutTurn, context: ResponseContext): Promise<void> {
  const { res } = context;
  if (!context.stream) {
    if (turn.kind === 'disconnect') res.socket?.destroy();
    else if (turn.kind === 'stream_error') sendError(res, 529, turn.message ?? 'Overloaded');
    else context.onStall();
    return;
  }
  openSse(res);
  if (!(await writeEvents(eventsBeforeCut(turn, context), context, turn.chunkDelayMs ?? 0))) return;
  switch (turn.kind) {
    case 'stall':
      context.onStall();
      return;
    case 'disconnect':
      res.socket?.destroy();
      return;
    case 'stream_error': {
      const type = turn.errorType ?? 'overloaded_error';
      const envelope = errorEnvelope(type, turn.message ?? 'Overloaded', createId('req'));
      res.end(formatSse({ event: 'error', data: envelope, isDelta: false }));
      return;
    }
    default: {
      const never: never = turn.kind;
      throw new Error(`fake-model: unknown cut ${String(never)}`);
    }
  }
}

export async function respondWithTurn(turn: Turn, context: ResponseContext): Promise<void> {
  switch (turn.kind) {
    case 'reply':
      return sendReply(turn, context);
    case 'error':
      return sendErrorTurn(turn, context.res);
    case 'stall':
    case 'disconnect':
    case 'stream_error':
      return sendCut(turn, context);
    default: {
      const never: never = turn;
      throw new Error(`fake-model: unknown turn ${JSON.stringify(never)}`);
    }
  }
}
