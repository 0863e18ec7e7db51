/**
 * Every request's first step, as one middleware (one frame of Hono's chain and its promises, not
 * four): the request id, then the access log around the rest, the Host/Origin check and the body
 * limit, in that order. A request the checks refuse is logged with the status it is answered with.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.ts';
import { assignRequestId } from './request-id.ts';
import { logRequest } from './request-log.ts';
import { createHostCheck, type HostCheckOptions } from './host-check.ts';
import { bodyLimit } from './body-limit.ts';
import { toAppError } from './error-handler.ts';

export interface RequestGateOptions {
  logger: Logger;
  host: HostCheckOptions;
  maxBodyBytes: number;
  /** Routes that count and limit their bytes while streaming (see body-limit.ts). */
  isStreamedUpload: (c: Context) => boolean;
}

export function requestGate(options: RequestGateOptions): MiddlewareHandler<AppEnv> {
  const { logger } = options;
  const checkHost = createHostCheck(options.host);
  const limitBody = bodyLimit(options.maxBodyBytes, options.isStreamedUpload);
  const admit = (c: Context<AppEnv>, next: () => Promise<void>) => {
    checkHost(c);
    return limitBody(c, next);
  };
  return async (c, next) => {
    assignRequestId(c);
    // LOG_LEVEL above info: no line to write, so none of its fields to gather.
    if (!logger.isLevelEnabled('info')) return admit(c, next);
    const start = performance.now();
    try {
      await admit(c, next);
    } catch (err) {
      // Refused here (a later step's error is already the response): answered by the error handler.
      logRequest(logger, c, start, toAppError(err)?.status ?? 500);
      throw err;
    }
    logRequest(logger, c, start, c.res.status);
  };
}
