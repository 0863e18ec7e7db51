/**
 * The model port over the official Anthropic SDK: one streamed `messages.stream` call per
 * `stream()`, its events translated by anthropic-events.ts, its failures by anthropic-errors.ts.
 * It makes exactly one attempt (`maxRetries: 0`): retries belong to the harness, which records
 * each attempt in the session log.
 */
import Anthropic from '@anthropic-ai/sdk';
import { toModelError } from './anthropic-errors.ts';
import { finalEvents, toStreamEvents } from './anthropic-events.ts';
import { toAnthropicRequest } from './anthropic-request.ts';
import { ModelAbortedError, ModelError, type ModelClient, type ModelRequest, type ModelStreamEvent } from './model-client.ts';
import { startIdleWatchdog } from './idle-watchdog.ts';

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export interface AnthropicModelClientOptions {
  /** Absent or empty: construction succeeds and every request fails with a `client` ModelError. */
  apiKey?: string;
  /** Defaults to https://api.anthropic.com (the SDK's ANTHROPIC_BASE_URL is deliberately not read). */
  baseURL?: string;
  defaultHeaders?: Record<string, string>;
  /** The fetch the SDK uses (model cards: one that refuses private addresses); the global one when absent. */
  fetch?: typeof fetch;
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
          ...(options.fetch ? { fetch: options.fetch } : {}),
          maxRetries: 0,
          timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        })
      : undefined;
  }

  /** See ModelClient.stream. Throws ModelError (kind `client` when no key is configured). */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    return this.#run(request, signal);
  }

  async *#run(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelStreamEvent> {
    if (signal.aborted) throw new ModelAbortedError();
    if (!this.#sdk) throw new ModelError({ kind: 'client', message: MISSING_API_KEY_MESSAGE });

    const cancel = new AbortController();
    const onAbort = (): void => cancel.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const watchdog = startIdleWatchdog(cancel, this.#idleTimeoutMs);
    const stream = this.#sdk.messages.stream(toAnthropicRequest(request), { signal: cancel.signal });
    stream.on('connect', watchdog.touch);
    stream.on('streamEvent', watchdog.touch);
    let finished = false;
    try {
      for await (const event of stream) yield* toStreamEvents(event, stream.currentMessage);
      // The SDK's iterator ends quietly when the stream failed between two reads; the final
      // message carries that failure.
      yield* finalEvents(await stream.finalMessage());
      finished = true;
    } catch (error) {
      throw toModelError(error, { signal, idleTimedOutAfterMs: watchdog.firedAfterMs() });
    } finally {
      watchdog.stop();
      signal.removeEventListener('abort', onAbort);
      // The consumer stopped early (break, or a throw in its loop): close the connection.
      if (!finished) cancel.abort();
    }
  }
}
