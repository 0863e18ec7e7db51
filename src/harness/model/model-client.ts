/**
 * The model port: one streamed model request, in our own words, so that any provider (Anthropic's
 * Messages API, an OpenAI-compatible Chat Completions endpoint, …) can sit behind it and the
 * harness never imports a vendor SDK.
 *
 * Contract of `ModelClient.stream(request, signal)`:
 * - It returns an `AsyncIterable<ModelStreamEvent>` that makes exactly ONE attempt. Retries are the
 *   harness's job (it records each attempt in the session log), so an implementation turns off its
 *   SDK's own retries.
 * - Nothing is sent until iteration starts. Breaking out of the loop (or throwing from its body)
 *   cancels the request and closes the connection.
 * - Events come in this order: `response_start` once; then per content block, in index order, an
 *   optional `*_start`, any number of deltas and exactly one `block_end` carrying the complete block
 *   (text, thinking with its signature, or a tool call with its parsed input); `usage` at least once
 *   (cumulative totals: the last one counts); `stop` exactly once, last. Deltas are live previews,
 *   never persisted; the `block_end` blocks are what the harness stores.
 * - Failures are thrown from the iterator: `ModelError` (with a kind the harness uses to decide on
 *   retries) for any HTTP, network, stream or configuration failure, `ModelAbortedError` when
 *   `signal` was aborted. Nothing else: implementations translate their SDK's errors at the edge.
 * - A request names the model as the agent does (`model`) and says whom it is for (`scope`): a
 *   routing client (per-tenant model cards) resolves provider, base URL and key from those, builds
 *   the provider's client with `createModelClient` (model-client-factory.ts) and delegates.
 */
import type { ModelContentBlock, ModelMessage, ModelToolDefinition } from './model-content.ts';

export interface ModelRequest {
  /** The model id as the agent's `model.id` names it; a provider may map it to its own name. */
  model: string;
  /** Upper bound on output tokens for this response. */
  maxTokens: number;
  system?: string;
  messages: ModelMessage[];
  tools?: ModelToolDefinition[];
  /**
   * Mark the stable prefix (tools, system, history) cacheable where the provider supports it
   * (Anthropic prompt caching). Providers without it ignore the flag.
   */
  promptCache?: boolean;
  /** Whom the request is for: lets a routing client pick endpoint and credentials. Never sent. */
  scope?: { tenantId: string; sessionId: string };
}

/** Token counts of one response, cumulative. */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

/** Why the model stopped. Providers map theirs onto these (e.g. OpenAI `length` → `max_tokens`). */
export type ModelStopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/** One event of a streamed response; see the module comment for the order. */
export type ModelStreamEvent =
  | { type: 'response_start'; id: string; model: string }
  | { type: 'text_start'; index: number }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'thinking_start'; index: number }
  | { type: 'thinking_delta'; index: number; thinking: string }
  | { type: 'tool_use_start'; index: number; id: string; name: string }
  | { type: 'tool_use_delta'; index: number; partialJson: string }
  | { type: 'block_end'; index: number; block: ModelContentBlock }
  | { type: 'usage'; usage: ModelUsage }
  | { type: 'stop'; reason: ModelStopReason };

export interface ModelClient {
  /**
   * Streams one response to `request`. The iterable throws ModelError on any failure and
   * ModelAbortedError when `signal` aborts; the caller owns neither the connection nor retries.
   */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent>;
}

/** How the harness should treat a failure. */
export type ModelErrorKind = 'rate_limited' | 'overloaded' | 'server' | 'connection' | 'client';

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  /** HTTP status when the model answered with one. */
  readonly status: number | undefined;
  /** Delay the model asked for (retry-after / retry-after-ms), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  constructor(options: { kind: ModelErrorKind; message: string; status?: number; retryAfterMs?: number; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    this.name = 'ModelError';
    this.kind = options.kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Transient failures worth retrying with backoff. */
  get isRetryable(): boolean {
    return this.kind !== 'client';
  }
}

export class ModelAbortedError extends Error {
  constructor() {
    super('model request aborted');
    this.name = 'ModelAbortedError';
  }
}
