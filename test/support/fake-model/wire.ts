/**
 * Renders scripted turns in the Messages API wire format: the JSON `Message` for non-streaming
 * calls and the SSE event sequence for streaming ones, chunked the way the real API chunks them.
 */
import { randomBytes } from 'node:crypto';
import type { ContentSpec, ReplyTurn, UsageSpec } from './turns.ts';

export const DEFAULT_MODEL = 'claude-fake-1';

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  /** True for `content_block_delta` events; cut turns count these. */
  isDelta: boolean;
}

export function createId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

function toWireBlock(block: ContentSpec): Record<string, unknown> {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool_use':
      return { type: 'tool_use', id: block.id ?? createId('toolu'), name: block.name, input: block.input };
    case 'thinking':
      return { type: 'thinking', thinking: block.thinking, signature: block.signature ?? createId('sig') };
    default: {
      const never: never = block;
      throw new Error(`fake-model: unknown content block ${JSON.stringify(never)}`);
    }
  }
}

function fullUsage(usage: UsageSpec | undefined): Required<UsageSpec> {
  return {
    input_tokens: usage?.input_tokens ?? 10,
    output_tokens: usage?.output_tokens ?? 5,
    cache_creation_input_tokens: usage?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage?.cache_read_input_tokens ?? 0,
  };
}

function stopReasonOf(turn: Pick<ReplyTurn, 'content' | 'stop_reason'>): string {
  return turn.stop_reason ?? (turn.content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
}

/** The complete message a reply stands for; block ids are fixed here so JSON and SSE agree. */
export function buildMessage(turn: ReplyTurn, requestModel: string | undefined): Record<string, unknown> {
  return {
    id: createId('msg'),
    type: 'message',
    role: 'assistant',
    model: turn.model ?? requestModel ?? DEFAULT_MODEL,
    content: turn.content.map(toWireBlock),
    stop_reason: stopReasonOf(turn),
    stop_sequence: null,
    usage: fullUsage(turn.usage),
  };
}

function chunk(value: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < value.length; start += size) pieces.push(value.slice(start, start + size));
  return pieces;
}

function blockEvents(block: Record<string, unknown>, index: number, chunkSize: number): SseEvent[] {
  const delta = (payload: Record<string, unknown>): SseEvent => ({
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index, delta: payload },
    isDelta: true,
  });
  let start: Record<string, unknown>;
  let deltas: SseEvent[];
  if (block.type === 'text') {
    start = { type: 'text', text: '' };
    deltas = chunk(String(block.text), chunkSize).map((piece) => delta({ type: 'text_delta', text: piece }));
  } else if (block.type === 'tool_use') {
    start = { type: 'tool_use', id: block.id, name: block.name, input: {} };
    // The API opens every tool input with an empty partial_json before the real chunks.
    const json = JSON.stringify(block.input);
    deltas = ['', ...chunk(json, chunkSize)].map((piece) => delta({ type: 'input_json_delta', partial_json: piece }));
  } else {
    start = { type: 'thinking', thinking: '', signature: '' };
    deltas = [
      ...chunk(String(block.thinking), chunkSize).map((piece) => delta({ type: 'thinking_delta', thinking: piece })),
      delta({ type: 'signature_delta', signature: block.signature }),
    ];
  }
  return [
    { event: 'content_block_start', data: { type: 'content_block_start', index, content_block: start }, isDelta: false },
    ...deltas,
    { event: 'content_block_stop', data: { type: 'content_block_stop', index }, isDelta: false },
  ];
}

/** The SSE events of a streamed reply, `message_start` to `message_stop`, with pings. */
export function buildStreamEvents(message: Record<string, unknown>, chunkSize: number): SseEvent[] {
  const usage = message.usage as Required<UsageSpec>;
  const content = message.content as Array<Record<string, unknown>>;
  const start = { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } };
  const events: SseEvent[] = [
    { event: 'message_start', data: { type: 'message_start', message: start }, isDelta: false },
    { event: 'ping', data: { type: 'ping' }, isDelta: false },
  ];
  content.forEach((block, index) => {
    events.push(...blockEvents(block, index, chunkSize));
    events.push({ event: 'ping', data: { type: 'ping' }, isDelta: false });
  });
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: message.stop_reason, stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      },
      isDelta: false,
    },
    { event: 'message_stop', data: { type: 'message_stop' }, isDelta: false },
  );
  return events;
}

export function formatSse(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function errorTypeFor(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function errorEnvelope(type: string, message: string, requestId: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: requestId };
}
