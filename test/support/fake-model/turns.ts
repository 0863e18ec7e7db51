/**
 * The script language of the fake model: what one scripted `POST /v1/messages` call answers with,
 * plus small builders so tests read like a conversation (`reply(text('hi'))`, `httpError(529)`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type Anthropic from '@anthropic-ai/sdk';

/** One request the fake received, as parsed from the wire. */
export interface RecordedRequest {
  /** 0-based position among all requests this fake received. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`{}` when it was not JSON; such a request is answered 400 and fails `assertDone`). */
  body: Anthropic.MessageCreateParams;
  /** Epoch ms when the request arrived. */
  receivedAt: number;
  /** Epoch ms when its connection closed (answer complete or client gone); unset while in flight. */
  closedAt?: number;
}

/** Throws (or returns a failure message) when the request is not what the test expected. */
export type ExpectFn = (request: RecordedRequest) => void | string | undefined;

export type ContentSpec =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature?: string };

export interface UsageSpec {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

interface TurnBase {
  expect?: ExpectFn;
}

/** How a reply is streamed: chunk sizes and pacing. */
export interface StreamPacing {
  /** Characters per text/thinking/partial_json delta; default 5. */
  chunkSize?: number;
  /** Delay before each SSE event after `message_start`, in milliseconds; default 0. */
  chunkDelayMs?: number;
}

export interface ReplyTurn extends TurnBase, StreamPacing {
  kind: 'reply';
  content: ContentSpec[];
  /** Defaults to `tool_use` when the content has a tool_use block, else `end_turn`. */
  stop_reason?: Anthropic.StopReason;
  usage?: UsageSpec;
  model?: string;
}

export interface ErrorTurn extends TurnBase {
  kind: 'error';
  status: number;
  /** Envelope `error.type`; derived from the status when absent. */
  errorType?: string;
  message?: string;
  /** Sent as the `retry-after` header (seconds, or an HTTP date string). */
  retryAfter?: number | string;
  /** Sent as the `retry-after-ms` header. */
  retryAfterMs?: number;
}

/**
 * Streams `message_start` and the first `afterDeltas` content deltas of `content`, then either
 * goes silent until the client disconnects (`stall`) or destroys the socket (`disconnect`), or
 * sends an SSE `event: error` and ends the response (`stream_error`, as the API does when it
 * becomes overloaded mid-stream).
 */
export interface CutTurn extends TurnBase, StreamPacing {
  kind: 'stall' | 'disconnect' | 'stream_error';
  content: ContentSpec[];
  afterDeltas: number;
  /** For `stream_error`: the envelope type and message. */
  errorType?: string;
  message?: string;
}

export type Turn = ReplyTurn | ErrorTurn | CutTurn;

/** A script entry: a turn, a bare content block (shorthand for a one-block reply), or a function. */
export type ScriptEntry = Turn | ContentSpec | ((request: RecordedRequest) => Turn | ContentSpec);

export function text(value: string): ContentSpec {
  return { type: 'text', text: value };
}

export function toolUse(name: string, input: unknown, id?: string): ContentSpec {
  return { type: 'tool_use', name, input, ...(id === undefined ? {} : { id }) };
}

export function thinking(value: string, signature?: string): ContentSpec {
  return { type: 'thinking', thinking: value, ...(signature === undefined ? {} : { signature }) };
}

/** A complete reply; pass options (stop_reason, usage, pacing, expect) as the last argument. */
export function reply(...parts: Array<ContentSpec | string | Omit<ReplyTurn, 'kind' | 'content'>>): ReplyTurn {
  const content: ContentSpec[] = [];
  let options: Omit<ReplyTurn, 'kind' | 'content'> = {};
  for (const part of parts) {
    if (typeof part === 'string') content.push(text(part));
    else if ('type' in part) content.push(part);
    else options = { ...options, ...part };
  }
  return { kind: 'reply', content, ...options };
}

export function httpError(status: number, options: Omit<ErrorTurn, 'kind' | 'status'> = {}): ErrorTurn {
  return { kind: 'error', status, ...options };
}

type CutOptions = Partial<Omit<CutTurn, 'kind'>>;

/** Sends headers and `message_start` (plus `afterDeltas` deltas of `content`), then nothing. */
export function stall(options: CutOptions = {}): CutTurn {
  return { kind: 'stall', content: [], afterDeltas: 0, ...options };
}

/** Destroys the socket after `afterDeltas` content deltas. */
export function disconnect(options: CutOptions = {}): CutTurn {
  return { kind: 'disconnect', content: [text('This reply is cut off before it ends.')], afterDeltas: 2, ...options };
}

/** Sends an SSE `error` event after `afterDeltas` deltas; default type `overloaded_error`. */
export function streamError(options: CutOptions = {}): CutTurn {
  return { kind: 'stream_error', content: [text('Partial answer')], afterDeltas: 1, errorType: 'overloaded_error', ...options };
}

/** Adds an expectation to any entry. */
export function expecting(entry: Turn | ContentSpec, expect: ExpectFn): Turn {
  const turn: Turn = 'kind' in entry ? entry : reply(entry);
  return { ...turn, expect };
}

/** Resolves a script entry against the request it answers. */
export function resolveEntry(entry: ScriptEntry, request: RecordedRequest): Turn {
  const value = typeof entry === 'function' ? entry(request) : entry;
  return 'kind' in value ? value : reply(value);
}
