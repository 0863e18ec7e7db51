/**
 * The access log: one `info` line per request once its response is ready (for an SSE stream: when
 * it opens). Method, route pattern (never the path: some carry one-time tokens), status, ms, request
 * id and tenant; never headers, query strings or bodies.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.ts';

export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // LOG_LEVEL above info: no line to write, so none of its fields to gather.
    if (!logger.isLevelEnabled('info')) return next();
    const start = performance.now();
    await next();
    // The first matched route that is not a middleware or a catch-all (the Console's SPA fallback) answered.
    const route = matchedRoutes(c).find((r) => r.method !== 'ALL' && !r.path.endsWith('*'))?.path ?? '(no route)';
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route,
        status: c.res.status,
        ms: Math.round(performance.now() - start),
        tenant: c.get('principal')?.tenantId,
      },
      `${c.req.method} ${route} ${c.res.status}`,
    );
  };
}
