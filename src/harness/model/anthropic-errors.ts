/**
 * Translates whatever the Anthropic SDK throws into the model port's closed catalogue
 * (`ModelError` kinds, or `ModelAbortedError`). SDK error classes never leave `harness/model/`.
 */
import { AnthropicError, APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { findRefusal } from '../../net/model-egress.ts';
import { ModelAbortedError, ModelError, type ModelErrorKind } from './model-client.ts';

/** Longest delay we honour from a retry header (the timer limit of setTimeout). */
const MAX_RETRY_AFTER_MS = 2 ** 31 - 1;

interface HeaderReader {
  get(name: string): string | null;
}

/**
 * Reads `retry-after-ms` (milliseconds) or else `retry-after` (seconds, or an HTTP date) into
 * milliseconds from `now`. Returns undefined when absent, unparsable or out of range.
 */
export function parseRetryAfterMs(headers: HeaderReader | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const clamp = (value: number): number | undefined =>
    Number.isFinite(value) && value >= 0 ? Math.min(Math.round(value), MAX_RETRY_AFTER_MS) : undefined;
  const milliseconds = headers.get('retry-after-ms')?.trim();
  if (milliseconds) {
    const parsed = clamp(Number(milliseconds));
    if (parsed !== undefined) return parsed;
  }
  const retryAfter = headers.get('retry-after')?.trim();
  if (!retryAfter) return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return clamp(Number(retryAfter) * 1000);
  // Date.parse also accepts bare numbers such as "-5"; an HTTP date always names a day or month.
  if (!/[a-z]/i.test(retryAfter)) return undefined;
  const date = Date.parse(retryAfter);
  // A date already in the past means "retry now".
  return Number.isNaN(date) ? undefined : clamp(Math.max(0, date - now));
}

function kindForType(type: string | null | undefined): ModelErrorKind | undefined {
  switch (type) {
    case 'overloaded_error':
      return 'overloaded';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'api_error':
    case 'timeout_error':
      return 'server';
    default:
      return undefined;
  }
}

function kindForStatus(status: number | undefined, type: string | null): ModelErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 529 || type === 'overloaded_error') return 'overloaded';
  if (status !== undefined && status >= 500) return 'server';
  // No status: the API sent an `event: error` after the stream had begun with 200.
  if (status === undefined) return kindForType(type) ?? 'server';
  return 'client';
}

function fromApiError(error: APIError): ModelError {
  const status = typeof error.status === 'number' ? error.status : undefined;
  const kind = kindForStatus(status, error.type);
  const detail = error.apiMessage ?? error.message;
  const label = [status === undefined ? 'stream error' : `HTTP ${status}`, error.type].filter(Boolean).join(' ');
  return new ModelError({
    kind,
    status,
    message: `Anthropic API ${label}: ${detail}`,
    retryAfterMs: parseRetryAfterMs(error.headers),
    cause: error,
  });
}

export interface ErrorContext {
  /** The caller's signal; an abort it caused becomes ModelAbortedError. */
  signal: AbortSignal;
  /** The idle limit, in milliseconds, when our own watchdog cancelled the request; else undefined. */
  idleTimedOutAfterMs: number | undefined;
}

/** Maps any failure of one streamed request to ModelError or ModelAbortedError. */
export function toModelError(error: unknown, context: ErrorContext): ModelError | ModelAbortedError {
  if (context.signal.aborted) return new ModelAbortedError();
  if (context.idleTimedOutAfterMs !== undefined) {
    return new ModelError({
      kind: 'connection',
      message: `Anthropic API stream sent nothing for ${context.idleTimedOutAfterMs} ms; the request was cancelled`,
      cause: error,
    });
  }
  // A model card's endpoint on a private address: retrying cannot help, the card must change.
  const refusal = findRefusal(error);
  if (refusal) return new ModelError({ kind: 'client', message: `Anthropic API request refused: ${refusal.message} Point the model card at a public endpoint, or ask the operator to allow the host.`, cause: error });
  // Checked before APIError: both are APIError subclasses without a status.
  if (error instanceof APIConnectionError || error instanceof APIUserAbortError) {
    return new ModelError({ kind: 'connection', message: `Anthropic API connection failed: ${error.message}`, cause: error });
  }
  if (error instanceof APIError) return fromApiError(error);
  // Anything else (a socket closed mid-body, a stream that ended before message_stop, a
  // malformed event) means the response was cut short: a transport failure worth retrying.
  const message = error instanceof Error ? error.message : String(error);
  const what = error instanceof AnthropicError ? 'stream broke off' : 'request failed';
  return new ModelError({ kind: 'connection', message: `Anthropic API ${what}: ${message}`, cause: error });
}
