/**
 * The one error catalogue. Every failure that reaches a client is one of these classes; the error
 * handler (api/middleware/error-handler.ts) is the only place that turns them into the envelope
 * `{type: "error", error: {type, message, details?}, request_id}`.
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'memory_path_conflict_error'
  | 'memory_precondition_failed_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface ErrorDetails {
  error_code?: string;
  [key: string]: unknown;
}

export abstract class AppError extends Error {
  abstract readonly type: ErrorType;
  abstract readonly status: number;
  readonly details: ErrorDetails | undefined;
  /** Extra response headers (e.g. x-should-retry, retry-after). */
  readonly headers: Record<string, string>;
  /** Extra fields inside the envelope's `error` object (memory conflicts' `conflicting_path`, …). */
  readonly fields: Record<string, unknown>;

  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown; headers?: Record<string, string>; fields?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.fields = options.fields ?? {};
  }
}

export class InvalidRequestError extends AppError {
  readonly type = 'invalid_request_error';
  readonly status = 400;
}

export class AuthenticationError extends AppError {
  readonly type = 'authentication_error';
  readonly status = 401;
}

export class PermissionError extends AppError {
  readonly type = 'permission_error';
  readonly status = 403;
}

export class NotFoundError extends AppError {
  readonly type = 'not_found_error';
  readonly status = 404;
}

/** Deterministic conflicts: the SDK must not retry them, so x-should-retry: false is always sent. */
export class ConflictError extends AppError {
  readonly type = 'conflict_error';
  readonly status = 409;
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, { ...options, headers: { 'x-should-retry': 'false' } });
  }
}

/** The Host header names another server (DNS rebinding); the client should use this server's own name. */
export class MisdirectedRequestError extends AppError {
  readonly type = 'invalid_request_error';
  readonly status = 421;
}

/** A request body in a content type other than JSON. */
export class UnsupportedMediaTypeError extends AppError {
  readonly type = 'invalid_request_error';
  readonly status = 415;
}

/** Memory create/rename onto a path that is taken or overlaps another memory's path (ancestor or descendant). */
export class MemoryPathConflictError extends AppError {
  readonly type = 'memory_path_conflict_error';
  readonly status = 409;
  constructor(message: string, conflict: { conflicting_memory_id: string; conflicting_path: string }) {
    super(message, { headers: { 'x-should-retry': 'false' }, fields: conflict });
  }
}

/** A memory update's `precondition` or a delete's `expected_content_sha256` does not hold. */
export class MemoryPreconditionFailedError extends AppError {
  readonly type = 'memory_precondition_failed_error';
  readonly status = 409;
  constructor(message: string) {
    super(message, { headers: { 'x-should-retry': 'false' } });
  }
}

export class RequestTooLargeError extends AppError {
  readonly type = 'request_too_large';
  readonly status = 413;
}

export class RateLimitError extends AppError {
  readonly type = 'rate_limit_error';
  readonly status = 429;
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}

export class InternalError extends AppError {
  readonly type = 'api_error';
  readonly status = 500;
}

/** The server cannot serve now (database unreachable, shutting down). */
export class ServiceUnavailableError extends AppError {
  readonly type = 'api_error';
  readonly status = 503;
}

export class OverloadedError extends AppError {
  readonly type = 'overloaded_error';
  readonly status = 529;
}

/** A resource the caller asked for does not exist in their tenant (or at all: the two are indistinguishable). */
export function notFound(kind: string, id: string): NotFoundError {
  return new NotFoundError(`${kind} ${JSON.stringify(id)} not found`);
}
