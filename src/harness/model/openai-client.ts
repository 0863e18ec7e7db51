/**
 * The model port over the official `openai` SDK: one streamed Chat Completions request per
 * `stream()` against any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio, LiteLLM,
 * OpenRouter, a gateway). Request and chunks are translated by openai-request.ts and
 * openai-events.ts, failures by openai-errors.ts. It makes exactly one attempt (`maxRetries: 0`):
 * retries belong to the harness, which records each attempt in the session log.
 */
import OpenAI from 'openai';
import { ModelAbortedError, ModelError, type ModelClient, type ModelRequest, type ModelStreamEvent } from './model-client.ts';
import { maxTokensFieldFor, toChatCompletionRequest } from './openai-request.ts';
import { ChatCompletionStreamTranslator } from './openai-events.ts';
import { toOpenAIModelError } from './openai-errors.ts';
import { startIdleWatchdog } from './idle-watchdog.ts';

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export interface OpenAIModelClientOptions {
  /** Sent as `Authorization: Bearer …`; endpoints without auth (Ollama) accept any value. */
  apiKey: string;
  /** The endpoint's base, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1. */
  baseURL: string;
  defaultHeaders?: Record<string, string>;
  /** The fetch the SDK uses (model cards: one that refuses private addresses); the global one when absent. */
  fetch?: typeof fetch;
  /** Time allowed until the response headers arrive, in milliseconds; default 10 minutes. */
  timeoutMs?: number;
  /** Longest silence allowed between chunks once the response has begun, in milliseconds; off when absent. */
  idleTimeoutMs?: number;
  /** Receives one line per request for what could not be sent or was repaired (debug level). */
  onNote?: (note: string) => void;
}

export class OpenAIModelClient implements ModelClient {
  readonly #sdk: OpenAI;
  readonly #options: OpenAIModelClientOptions;

  constructor(options: OpenAIModelClientOptions) {
    this.#options = options;
    // Every option the SDK would otherwise read from the environment is given explicitly:
    // config/load.ts is our only reader of process.env.
    this.#sdk = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      organization: null,
      project: null,
      webhookSecret: null,
      defaultHeaders: options.defaultHeaders,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      logLevel: 'off',
    });
  }

  /** See ModelClient.stream. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    return this.#run(request, signal);
  }

  async *#run(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelStreamEvent> {
    if (signal.aborted) throw new ModelAbortedError();
    const { params, dropped } = toChatCompletionRequest(request, maxTokensFieldFor(this.#options.baseURL));
    if (dropped.length > 0) this.#options.onNote?.(`not sent to ${request.model} (no Chat Completions form): ${dropped.join('; ')}`);
    const cancel = new AbortController();
    const onAbort = (): void => cancel.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const watchdog = startIdleWatchdog(cancel, this.#options.idleTimeoutMs);
    const translator = new ChatCompletionStreamTranslator();
    let finished = false;
    try {
      const chunks = await this.#sdk.chat.completions.create(params, { signal: cancel.signal });
      // Like the Anthropic client: until the headers arrive only the SDK's timeout counts.
      watchdog.touch();
      for await (const chunk of chunks) {
        watchdog.touch();
        const error = (chunk as { error?: { message?: string } }).error;
        // Some servers (vLLM, LiteLLM) report a failure mid-stream as a chunk with an error object.
        if (error) throw new ModelError({ kind: 'server', message: `OpenAI-compatible API stream error: ${error.message ?? JSON.stringify(error)}` });
        yield* translator.push(chunk);
      }
      if (signal.aborted) throw new ModelAbortedError();
      yield* translator.finish();
      finished = true;
      if (translator.notes.length > 0) this.#options.onNote?.(`response of ${request.model}: ${translator.notes.map((n) => (n === 'reasoning' ? 'reasoning deltas dropped (no signed form to send back)' : n)).join('; ')}`);
    } catch (error) {
      throw toOpenAIModelError(error, { signal, idleTimedOutAfterMs: watchdog.firedAfterMs() });
    } finally {
      watchdog.stop();
      signal.removeEventListener('abort', onAbort);
      // The consumer stopped early (break, or a throw in its loop): close the connection.
      if (!finished) cancel.abort();
    }
  }
}
