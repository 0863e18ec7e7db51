/**
 * Builds the model client for one endpoint. The only place that knows which class serves which
 * provider: the runtime uses it for the configured default, and a routing client (per-tenant model
 * cards) for each card it resolves. Adding a provider means one more `ModelEndpoint` variant and
 * one more case, which the `never` default makes the compiler ask for.
 *
 * Each provider's client module (and its SDK: @anthropic-ai/sdk ~20 MB resident, openai ~13 MB) is
 * imported by the first request it serves, not at boot, so an idle server does not hold them.
 */
import { lazy } from '../../lib/lazy.ts';
import { ModelError, type ModelClient, type ModelRequest, type ModelStreamEvent } from './model-client.ts';

/** What every provider's endpoint carries. Holds a secret: never log or persist it. */
interface EndpointBase {
  /** Extra headers sent with every request (may carry credentials). */
  headers?: Record<string, string>;
  /** Longest silence allowed mid-stream, in milliseconds (see AnthropicModelClientOptions). */
  idleTimeoutMs?: number;
  /** Time allowed until the response headers arrive, in milliseconds. */
  timeoutMs?: number;
  /** The fetch to connect with (model cards: one that refuses private addresses). */
  fetch?: typeof fetch;
}

/** Where and how to reach one provider. */
export type ModelEndpoint =
  | (EndpointBase & {
      provider: 'anthropic';
      /** Absent or empty: requests fail with a `client` ModelError naming what to configure. */
      apiKey?: string;
      /** The provider's default when absent. */
      baseURL?: string;
    })
  | (EndpointBase & {
      /** Any OpenAI-compatible Chat Completions endpoint. */
      provider: 'openai';
      apiKey: string;
      /** E.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1. */
      baseURL: string;
      /** Receives what could not be translated, one line per request (for a debug log line). */
      onNote?: (note: string) => void;
    });

/** A client whose implementation is imported when its first response is streamed. */
class LazyModelClient implements ModelClient {
  readonly #client: () => Promise<ModelClient>;

  constructor(load: () => Promise<ModelClient>) {
    this.#client = lazy(load);
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    let client: ModelClient;
    try {
      client = await this.#client();
    } catch (err) {
      throw new ModelError({ kind: 'client', message: `could not load the model client: ${(err as Error).message}`, cause: err });
    }
    yield* client.stream(request, signal);
  }
}

/** Creates a client for `endpoint`. Construction never fails and sends nothing. */
export function createModelClient(endpoint: ModelEndpoint): ModelClient {
  return new LazyModelClient(() => loadModelClient(endpoint));
}

async function loadModelClient(endpoint: ModelEndpoint): Promise<ModelClient> {
  switch (endpoint.provider) {
    case 'anthropic': {
      const { AnthropicModelClient } = await import('./anthropic-client.ts');
      return new AnthropicModelClient({
        apiKey: endpoint.apiKey,
        baseURL: endpoint.baseURL,
        defaultHeaders: endpoint.headers,
        idleTimeoutMs: endpoint.idleTimeoutMs,
        timeoutMs: endpoint.timeoutMs,
        fetch: endpoint.fetch,
      });
    }
    case 'openai': {
      const { OpenAIModelClient } = await import('./openai-client.ts');
      return new OpenAIModelClient({
        apiKey: endpoint.apiKey,
        baseURL: endpoint.baseURL,
        defaultHeaders: endpoint.headers,
        idleTimeoutMs: endpoint.idleTimeoutMs,
        timeoutMs: endpoint.timeoutMs,
        onNote: endpoint.onNote,
        fetch: endpoint.fetch,
      });
    }
    default: {
      const unknown: never = endpoint;
      throw new Error(`no model client for provider ${String((unknown as { provider: string }).provider)}`);
    }
  }
}
