/**
 * The access log: one `info` line per request once its response is ready (for an SSE stream: when
 * it opens). Method, route pattern (never the path: some carry one-time tokens), status, ms, request
 * id and tenant; never headers, query strings or bodies.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.ts';

export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const route = routePath(c, -1);
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route: route === '*' || route === '/*' ? '(no route)' : route,
        status: c.res.status,
        ms: Math.round(performance.now() - start),
        tenant: c.get('principal')?.tenantId,
      },
      `${c.req.method} ${route} ${c.res.status}`,
    );
  };
}
