/**
 * The routing model client (issue #15): for every request it picks the provider from the
 * request's `scope` (tenant) and `model`: the tenant's model card that lists the model id, else
 * the tenant's default card, else the server's ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, else a
 * `client` ModelError saying exactly what to configure. Cards are looked up again for each
 * request, so a change (or a deletion) applies from the next request; clients are cached per card
 * version, so one card reuses one connection pool.
 */
import { createModelClient, type ModelEndpoint } from './model-client-factory.ts';
import { ModelError, type ModelClient, type ModelRequest, type ModelStreamEvent } from './model-client.ts';

/** A tenant's model card, opened: where its requests go. Holds a secret: never log or persist it. */
export interface ModelCardEndpoint {
  cardId: string;
  /** Changes whenever the card's provider, URL, key or headers do. */
  version: string;
  provider: 'anthropic' | 'openai';
  baseURL: string;
  apiKey: string;
  headers: Record<string, string>;
}

/** Thrown by `findCard` for a stored card whose sealed key or headers do not open (or whose JSON is damaged): retrying cannot help. */
export class ModelCardUnreadableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelCardUnreadableError';
  }
}

export interface ModelRouterOptions {
  /** The tenant's card serving `model` (listing it, else the default card); undefined when none. */
  findCard(tenantId: string, model: string): Promise<ModelCardEndpoint | undefined>;
  /** ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL; no key means no fallback. */
  fallback: { apiKey?: string; baseURL?: string };
  /** Applied to every client (idle timeout, debug notes). */
  tuning?: { idleTimeoutMs?: number; onNote?: (note: string, cardId: string) => void };
  /** The fetch card clients connect with (refusing private addresses); the global fetch when absent. */
  cardFetch?: typeof fetch;
}

/** Cached clients kept at most (cards change rarely; replaced versions fall out first). */
const MAX_CACHED_CLIENTS = 256;

/** The session.error text when nothing serves a model id. */
export function notConfiguredMessage(model: string): string {
  return (
    `No model provider is configured for model "${model}": no model card of this tenant lists it, the tenant has no default ` +
    `model card, and the server has no ANTHROPIC_API_KEY. Create a model card that lists "${model}" (POST /v1/model_cards), ` +
    'make one of your cards the default (is_default: true), or set ANTHROPIC_API_KEY on the server; then send the message again.'
  );
}

export class ModelRouter implements ModelClient {
  readonly #clients = new Map<string, ModelClient>();
  readonly #fallback: ModelClient | undefined;

  constructor(private readonly options: ModelRouterOptions) {
    const { apiKey, baseURL } = options.fallback;
    this.#fallback = apiKey ? createModelClient({ provider: 'anthropic', apiKey, baseURL, idleTimeoutMs: options.tuning?.idleTimeoutMs }) : undefined;
  }

  /** See ModelClient.stream: resolves the provider, then streams from it. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
    return this.#run(request, signal);
  }

  /** The client serving `model` for the tenant; throws a `client` ModelError when nothing does. */
  async resolve(tenantId: string | undefined, model: string): Promise<ModelClient> {
    const card = tenantId === undefined ? undefined : await this.#findCard(tenantId, model);
    if (card) return this.#cached(card);
    if (!this.#fallback) throw new ModelError({ kind: 'client', message: notConfiguredMessage(model) });
    return this.#fallback;
  }

  async *#run(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelStreamEvent> {
    const client = await this.resolve(request.scope?.tenantId, request.model);
    yield* client.stream(request, signal);
  }

  async #findCard(tenantId: string, model: string): Promise<ModelCardEndpoint | undefined> {
    try {
      return await this.options.findCard(tenantId, model);
    } catch (err) {
      // A sealed key that no longer opens cannot be fixed by retrying; the message names no secret.
      if (err instanceof ModelCardUnreadableError) {
        throw new ModelError({ kind: 'client', message: `The model card serving "${model}" could not be read (${err.message}); update the card's api_key and headers, then send the message again.`, cause: err });
      }
      // Anything else is the read itself (a Postgres pool with no free connection in time, as when
      // 1,000 sessions recover at once; a dropped connection): transient, so retried with backoff
      // like a model that cannot be reached, instead of ending the turn at once.
      throw new ModelError({ kind: 'connection', message: `The model card serving "${model}" could not be read from the database (${(err as Error).message}).`, cause: err });
    }
  }

  #cached(card: ModelCardEndpoint): ModelClient {
    const key = `${card.cardId}:${card.version}`;
    let client = this.#clients.get(key);
    if (!client) {
      if (this.#clients.size >= MAX_CACHED_CLIENTS) this.#clients.delete(this.#clients.keys().next().value!);
      client = createModelClient(this.#endpoint(card));
      this.#clients.set(key, client);
    }
    return client;
  }

  #endpoint(card: ModelCardEndpoint): ModelEndpoint {
    const { tuning } = this.options;
    const common = { apiKey: card.apiKey, baseURL: card.baseURL, headers: card.headers, idleTimeoutMs: tuning?.idleTimeoutMs, fetch: this.options.cardFetch };
    if (card.provider === 'anthropic') return { provider: 'anthropic', ...common };
    return { provider: 'openai', ...common, onNote: tuning?.onNote ? (note) => tuning.onNote!(note, card.cardId) : undefined };
  }
}
