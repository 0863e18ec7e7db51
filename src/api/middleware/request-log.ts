/**
 * The access log: one `info` line per request once its response is ready (for an SSE stream: when
 * it opens). Method, route pattern (never the path: some carry one-time tokens), status, ms, request
 * id and tenant; never headers, query strings or bodies.
 */
import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.ts';

/** Writes the line of a request that started at `start` (performance.now()) and is answered with `status`. */
export function logRequest(logger: Logger, c: Context<AppEnv>, start: number, status: number): void {
  // The first matched route that is not a middleware or a catch-all (the Console's SPA fallback) answered.
  const route = matchedRoutes(c).find((r) => r.method !== 'ALL' && !r.path.endsWith('*'))?.path ?? '(no route)';
  logger.info(
    {
      requestId: c.get('requestId'),
      method: c.req.method,
      route,
      status,
      ms: Math.round(performance.now() - start),
      tenant: c.get('principal')?.tenantId,
    },
    `${c.req.method} ${route} ${status}`,
  );
}
