/**
 * Declares a route once: its OpenAPI description (from the same zod schemas that validate it) and
 * its handler. Validation runs in the handler through parseBody/parseQuery, because clients such
 * as curl send JSON under other content types and the SDK's arrays come in three spellings.
 */
import type { Context, Handler } from 'hono';
import { z } from '@hono/zod-openapi';
import { errorEnvelopeSchema } from './schemas/common.ts';
import type { App, AppEnv } from './context.ts';

export interface RouteSpec {
  method: 'get' | 'post' | 'delete' | 'patch';
  /** OpenAPI-style path, e.g. /v1/agents/{agent_id}. */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodTypeAny;
  /** Content type of the request body (multipart uploads); default application/json. */
  bodyType?: string;
  query?: z.ZodObject<z.ZodRawShape>;
  response?: z.ZodTypeAny;
  /** Content type of the success response (SSE streams). */
  responseType?: string;
}

export function route(app: App, spec: RouteSpec, handler: (c: Context<AppEnv>) => Promise<Response> | Response): void {
  const params = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  app.openAPIRegistry.registerPath({
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tags: [spec.tag],
    request: {
      ...(spec.body ? { body: { content: { [spec.bodyType ?? 'application/json']: { schema: spec.body } } } } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(params.length ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
    },
    responses: {
      200: {
        description: 'OK',
        content: { [spec.responseType ?? 'application/json']: { schema: spec.response ?? z.object({}) } },
      },
      default: { description: 'Error', content: { 'application/json': { schema: errorEnvelopeSchema } } },
    },
  });
  const honoPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
  const h = handler as Handler<AppEnv>;
  if (spec.method === 'get') app.get(honoPath, h);
  else if (spec.method === 'post') app.post(honoPath, h);
  else if (spec.method === 'patch') app.patch(honoPath, h);
  else app.delete(honoPath, h);
}
