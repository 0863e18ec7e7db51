/**
 * The model port over the official Anthropic SDK: one streamed `messages.stream` call per
 * `createMessage`, deltas forwarded live, failures translated by anthropic-errors.ts.
 * It makes exactly one attempt (`maxRetries: 0`): retries belong to the harness, which records
 * each attempt in the session log.
 */
import Anthropic from '@anthropic-ai/sdk';
import { toModelError } from './anthropic-errors.ts';
import {
  ModelAbortedError,
  ModelError,
  type ModelClient,
  type ModelDelta,
  type ModelMessage,
  type ModelRequest,
  type ModelStreamOptions,
} from './model-client.ts';

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export interface AnthropicModelClientOptions {
  /** Absent or empty: construction succeeds and every request fails with a `client` ModelError. */
  apiKey?: string;
  /** Defaults to https://api.anthropic.com (the SDK's ANTHROPIC_BASE_URL is deliberately not read). */
  baseURL?: string;
  defaultHeaders?: Record<string, string>;
  /** Time allowed until the response headers arrive, in milliseconds; default 10 minutes. */
  timeoutMs?: number;
  /**
   * Longest silence allowed between stream events once the response has begun, in milliseconds;
   * exceeding it cancels the request as a `connection` error. Off when absent. The SDK's
   * `timeoutMs` stops counting at the headers, so without this a stalled stream waits for the
   * caller's signal. Keep it above the API's ping interval plus the longest pause between deltas.
   */
  idleTimeoutMs?: number;
}

export const MISSING_API_KEY_MESSAGE =
  'No Anthropic API key is configured: set ANTHROPIC_API_KEY or add a model card with an API key, then retry.';

type StreamEvent = Anthropic.MessageStreamEvent;

function toDeltas(event: StreamEvent): ModelDelta[] {
  if (event.type === 'content_block_start') {
    const blockType = event.content_block.type;
    const start: ModelDelta = { type: 'block_start', index: event.index, blockType };
    const isThinking = blockType === 'thinking' || blockType === 'redacted_thinking';
    return isThinking ? [start, { type: 'thinking_start', index: event.index }] : [start];
  }
  if (event.type !== 'content_block_delta') return [];
  const { delta, index } = event;
  if (delta.type === 'text_delta' && delta.text !== '') return [{ type: 'text_delta', index, text: delta.text }];
  if (delta.type === 'input_json_delta' && delta.partial_json !== '') {
    return [{ type: 'tool_input_delta', index, partialJson: delta.partial_json }];
  }
  return [];
}

export class AnthropicModelClient implements ModelClient {
  readonly #sdk: Anthropic | undefined;
  readonly #idleTimeoutMs: number | undefined;

  constructor(options: AnthropicModelClientOptions = {}) {
    this.#idleTimeoutMs = options.idleTimeoutMs;
    // Without a key we build no SDK client at all: the SDK would otherwise fall back to reading
    // credentials from the environment and profile files, and config/load.ts is our only env reader.
    this.#sdk = options.apiKey
      ? new Anthropic({
          apiKey: options.apiKey,
          baseURL: options.baseURL ?? DEFAULT_BASE_URL,
          defaultHeaders: options.defaultHeaders,
          maxRetries: 0,
          timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        })
      : undefined;
  }

  /** See ModelClient.createMessage. Throws ModelError (kind `client` when no key is configured). */
  async createMessage(request: ModelRequest, options: ModelStreamOptions): Promise<ModelMessage> {
    const { signal, onDelta } = options;
    if (signal.aborted) throw new ModelAbortedError();
    if (!this.#sdk) throw new ModelError({ kind: 'client', message: MISSING_API_KEY_MESSAGE });

    const cancel = new AbortController();
    const onAbort = (): void => cancel.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const watchdog = this.#startWatchdog(cancel);
    const stream = this.#sdk.messages.stream(request, { signal: cancel.signal });
    stream.on('connect', watchdog.touch);
    // A throwing onDelta is a bug in the caller, not a model failure: cancel the request and
    // rethrow it as is, rather than letting the SDK report it as a broken stream.
    let callbackError: { error: unknown } | undefined;
    stream.on('streamEvent', (event) => {
      watchdog.touch();
      if (!onDelta || callbackError) return;
      try {
        for (const delta of toDeltas(event)) onDelta(delta);
      } catch (error) {
        callbackError = { error };
        cancel.abort();
      }
    });
    try {
      return toPlainMessage(await stream.finalMessage());
    } catch (error) {
      if (callbackError) throw callbackError.error;
      throw toModelError(error, { signal, idleTimedOutAfterMs: watchdog.firedAfterMs() });
    } finally {
      watchdog.stop();
      signal.removeEventListener('abort', onAbort);
    }
  }

  #startWatchdog(cancel: AbortController): { touch: () => void; stop: () => void; firedAfterMs: () => number | undefined } {
    const limit = this.#idleTimeoutMs;
    let fired = false;
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => clearTimeout(timer);
    const touch = (): void => {
      if (limit === undefined) return;
      stop();
      timer = setTimeout(() => {
        fired = true;
        cancel.abort();
      }, limit);
    };
    return { touch, stop, firedAfterMs: () => (fired ? limit : undefined) };
  }
}

/**
 * The SDK's final message carries structured-output fields we never asked for, and tool inputs
 * as lazy getters. The harness persists this object, so hand it plain wire-shaped data.
 */
function toPlainMessage(message: ModelMessage & { parsed_output?: unknown }): ModelMessage {
  const { parsed_output: _unused, ...rest } = message;
  return JSON.parse(JSON.stringify(rest)) as ModelMessage;
}
