/**
 * Builds the model client for one endpoint. The only place that knows which class serves which
 * provider: the runtime uses it for the configured default, and a routing client (per-tenant model
 * cards) for each card it resolves. Adding a provider means one more `ModelEndpoint` variant and
 * one more case, which the `never` default makes the compiler ask for.
 */
import { AnthropicModelClient } from './anthropic-client.ts';
import type { ModelClient } from './model-client.ts';

/** Where and how to reach one provider. Holds a secret: never log or persist it. */
export type ModelEndpoint = {
  provider: 'anthropic';
  /** Absent or empty: requests fail with a `client` ModelError naming what to configure. */
  apiKey?: string;
  /** The provider's default when absent. */
  baseURL?: string;
  /** Extra headers sent with every request (may carry credentials). */
  headers?: Record<string, string>;
  /** Longest silence allowed mid-stream, in milliseconds (see AnthropicModelClientOptions). */
  idleTimeoutMs?: number;
  /** Time allowed until the response headers arrive, in milliseconds. */
  timeoutMs?: number;
};

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
      });
    default: {
      const unknown: never = endpoint.provider;
      throw new Error(`no model client for provider ${String(unknown)}`);
    }
  }
}
