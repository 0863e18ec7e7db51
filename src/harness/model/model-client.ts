/**
 * The model port: one streamed Messages API request. The harness builds the request from the
 * session log, consumes deltas for live previews, and commits the final message. Retries are the
 * harness's job (it records them as events), so implementations make exactly one attempt.
 */
import type Anthropic from '@anthropic-ai/sdk';

export type ModelRequest = Anthropic.MessageCreateParamsNonStreaming;
export type ModelMessage = Anthropic.Message;

/** Live progress while the model streams; never persisted. */
export type ModelDelta =
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'thinking_start'; index: number }
  | { type: 'tool_input_delta'; index: number; partialJson: string }
  | { type: 'block_start'; index: number; blockType: string };

export interface ModelStreamOptions {
  signal: AbortSignal;
  /** Called for each delta in order; must not throw. */
  onDelta?: (delta: ModelDelta) => void;
}

export interface ModelClient {
  /**
   * Sends one streamed request and resolves with the complete message.
   * Throws ModelError on any failure (HTTP status, network, malformed stream), or ModelAbortedError
   * when `signal` was aborted.
   */
  createMessage(request: ModelRequest, options: ModelStreamOptions): Promise<ModelMessage>;
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
