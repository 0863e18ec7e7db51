/**
 * The only place an error becomes a response: AppErrors keep their status and type, a busy or
 * unreachable database is a 503 (store/database-busy.ts), anything else is logged with its stack and answered
 * as a generic api_error. Always the Anthropic envelope.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import { AppError, InternalError, InvalidRequestError, NotFoundError, RequestTooLargeError, type ErrorType } from '../../errors.ts';
import { databaseBusy, databaseTrouble, type DatabaseTrouble } from '../../store/database-busy.ts';

/** A busy or unreachable database is logged at most this often (each kind): it answers thousands of requests at once. */
const BUSY_LOG_INTERVAL_MS = 60_000;

export function errorBody(c: Context, type: ErrorType, message: string, extra: { details?: Record<string, unknown>; fields?: Record<string, unknown> } = {}) {
  const error: Record<string, unknown> = { ...extra.fields, type, message };
  if (extra.details) error.details = extra.details;
  return { type: 'error', error, request_id: c.get('requestId') ?? '' };
}

export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new RequestTooLargeError('request body is too large');
    if (err.status === 400) return new InvalidRequestError(err.message || 'bad request');
  }
  return databaseBusy(err);
}

export function createErrorHandler(logger: Logger): ErrorHandler {
  const logged: Record<DatabaseTrouble, { loggedAt: number; since: number }> = { busy: { loggedAt: -Infinity, since: 0 }, unreachable: { loggedAt: -Infinity, since: 0 } };
  return (err, c) => {
    const known = toAppError(err);
    const appError = known ?? new InternalError('internal server error; the server log has details under this request_id');
    const trouble = err instanceof AppError ? undefined : databaseTrouble(err);
    if (trouble) {
      // Once per interval, with how many requests were answered 503 since the last line.
      const seen = logged[trouble];
      seen.since++;
      const now = Date.now();
      if (now - seen.loggedAt >= BUSY_LOG_INTERVAL_MS) {
        logger.warn({ err, requestId: c.get('requestId'), path: c.req.path, [trouble === 'busy' ? 'busyResponses' : 'unreachableResponses']: seen.since }, `database ${trouble}: answering 503 with retry-after`);
        logged[trouble] = { loggedAt: now, since: 0 };
      }
    } else if (!(err instanceof AppError) && !(err instanceof HTTPException)) {
      logger.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'unhandled error');
    }
    for (const [k, v] of Object.entries(appError.headers)) c.header(k, v);
    return c.json(errorBody(c, appError.type, appError.message, { details: appError.details, fields: appError.fields }), appError.status as 400);
  };
}

export const notFoundHandler: NotFoundHandler = (c) => {
  const err = new NotFoundError(`no route for ${c.req.method} ${c.req.path}`);
  return c.json(errorBody(c, err.type, err.message), 404);
};
