/**
 * Translates whatever the OpenAI SDK throws into the model port's closed catalogue, with the same
 * kinds as the Anthropic client (429 → rate_limited, 529 → overloaded, 5xx and 408 → server,
 * network and timeouts → connection, any other status → client), so retries behave alike on both.
 * SDK error classes never leave `harness/model/`.
 */
import { APIConnectionError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import { parseRetryAfterMs } from './anthropic-errors.ts';
import { findRefusal } from '../../net/model-egress.ts';
import { ModelAbortedError, ModelError, type ModelErrorKind } from './model-client.ts';

function kindForStatus(status: number | undefined, type: string | undefined): ModelErrorKind {
  if (status === 429 || type === 'rate_limit_error') return 'rate_limited';
  if (status === 529 || type === 'overloaded_error') return 'overloaded';
  if (status === 408 || (status !== undefined && status >= 500)) return 'server';
  // No status: the endpoint sent an error object inside a stream that had begun with 200.
  if (status === undefined) return 'server';
  return 'client';
}

function fromApiError(error: APIError): ModelError {
  const status = typeof error.status === 'number' ? error.status : undefined;
  const label = [status === undefined ? 'stream error' : `HTTP ${status}`, error.type ?? error.code].filter(Boolean).join(' ');
  const body = error.error as { message?: unknown } | undefined;
  const detail = typeof body?.message === 'string' ? body.message : error.message;
  return new ModelError({
    kind: kindForStatus(status, error.type),
    status,
    message: `OpenAI-compatible API ${label}: ${detail}`,
    retryAfterMs: parseRetryAfterMs(error.headers ?? undefined),
    cause: error,
  });
}

export interface OpenAIErrorContext {
  /** The caller's signal; an abort it caused becomes ModelAbortedError. */
  signal: AbortSignal;
  /** The idle limit, in milliseconds, when our own watchdog cancelled the request; else undefined. */
  idleTimedOutAfterMs: number | undefined;
}

/** Maps any failure of one streamed Chat Completions request to ModelError or ModelAbortedError. */
export function toOpenAIModelError(error: unknown, context: OpenAIErrorContext): ModelError | ModelAbortedError {
  if (error instanceof ModelError || error instanceof ModelAbortedError) return error;
  if (context.signal.aborted) return new ModelAbortedError();
  if (context.idleTimedOutAfterMs !== undefined) {
    return new ModelError({ kind: 'connection', message: `OpenAI-compatible API stream sent nothing for ${context.idleTimedOutAfterMs} ms; the request was cancelled`, cause: error });
  }
  // A model card's endpoint on a private address: retrying cannot help, the card must change.
  const refusal = findRefusal(error);
  if (refusal) return new ModelError({ kind: 'client', message: `OpenAI-compatible API request refused: ${refusal.message} Point the model card at a public endpoint, or ask the operator to allow the host.`, cause: error });
  // Checked before APIError: both are APIError subclasses without a status.
  if (error instanceof APIConnectionError || error instanceof APIUserAbortError) {
    return new ModelError({ kind: 'connection', message: `OpenAI-compatible API connection failed: ${error.message}`, cause: error });
  }
  if (error instanceof APIError) return fromApiError(error);
  // A socket closed mid-body or a malformed chunk: the response was cut short, worth retrying.
  const message = error instanceof Error ? error.message : String(error);
  const what = error instanceof OpenAIError ? 'stream broke off' : 'request failed';
  return new ModelError({ kind: 'connection', message: `OpenAI-compatible API ${what}: ${message}`, cause: error });
}
