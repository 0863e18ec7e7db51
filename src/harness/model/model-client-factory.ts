/**
 * Builds the model client for one endpoint. The only place that knows which class serves which
 * provider: the runtime uses it for the configured default, and a routing client (per-tenant model
 * cards) for each card it resolves. Adding a provider means one more `ModelEndpoint` variant and
 * one more case, which the `never` default makes the compiler ask for.
 */
import { AnthropicModelClient } from './anthropic-client.ts';
import { OpenAIModelClient } from './openai-client.ts';
import type { ModelClient } from './model-client.ts';

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

/** Creates a client for `endpoint`. Construction never fails and sends nothing. */
export function createModelClient(endpoint: ModelEndpoint): ModelClient {
  switch (endpoint.provider) {
    case 'anthropic':
      return new AnthropicModelClient({
        apiKey: endpoint.apiKey,
        baseURL: endpoint.baseURL,
        defaultHeaders: endpoint.headers,
        idleTimeoutMs: endpoint.idleTimeoutMs,
        timeoutMs: endpoint.timeoutMs,
        fetch: endpoint.fetch,
      });
    case 'openai':
      return new OpenAIModelClient({
        apiKey: endpoint.apiKey,
        baseURL: endpoint.baseURL,
        defaultHeaders: endpoint.headers,
        idleTimeoutMs: endpoint.idleTimeoutMs,
        timeoutMs: endpoint.timeoutMs,
        onNote: endpoint.onNote,
        fetch: endpoint.fetch,
      });
    default: {
      const unknown: never = endpoint;
      throw new Error(`no model client for provider ${String((unknown as { provider: string }).provider)}`);
    }
  }
}
