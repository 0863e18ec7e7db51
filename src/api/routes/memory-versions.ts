/** /v1/memory_stores/{memory_store_id}/memory_versions */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { memoryVersionSchema, viewSchema } from '../schemas/memory-stores.ts';
import { emptyBodySchema, pageOf, pageQuerySchema } from '../schemas/common.ts';
import { rfc3339 } from './query-helpers.ts';
import { listLimit } from './memories.ts';
import type { MemoryVersionService } from '../../memory/memory-version-service.ts';

const listQuery = pageQuerySchema.extend({
  view: viewSchema,
  memory_id: z.string().min(1).optional(),
  operation: z.enum(['created', 'modified', 'deleted']).optional(),
  session_id: z.string().min(1).optional(),
  api_key_id: z.string().min(1).optional(),
  service_account_id: z.string().min(1).optional(),
  'created_at[gte]': rfc3339,
  'created_at[lte]': rfc3339,
});
const viewQuery = z.object({ view: viewSchema });

export function mountMemoryVersionRoutes(app: App, deps: { memoryVersions: MemoryVersionService }): void {
  const tag = 'Memory versions';
  const collection = '/v1/memory_stores/{memory_store_id}/memory_versions';
  const item = `${collection}/{memory_version_id}`;
  const scope = (c: Context<AppEnv>) => ({ tenantId: c.get('principal').tenantId, storeId: c.req.param('memory_store_id')! });
  route(app, { method: 'get', path: collection, summary: 'List memory versions (newest first)', tag, query: listQuery, response: pageOf(memoryVersionSchema, 'MemoryVersionPage') }, async (c) => {
    const q = parseQuery(c, listQuery);
    const view = q.view ?? 'basic';
    const limit = listLimit(q.limit, view);
    // No service accounts exist on this server: that filter matches nothing.
    if (q.service_account_id) return c.json({ data: [], next_page: null });
    return c.json(await deps.memoryVersions.list(scope(c), {
      view, limit, page: q.page, memoryId: q.memory_id, operation: q.operation, sessionId: q.session_id, apiKeyId: q.api_key_id,
      createdGte: q['created_at[gte]'], createdLte: q['created_at[lte]'],
    }));
  });
  route(app, { method: 'get', path: item, summary: 'Retrieve a memory version', tag, query: viewQuery, response: memoryVersionSchema }, async (c) => {
    return c.json(await deps.memoryVersions.get(scope(c), c.req.param('memory_version_id')!, parseQuery(c, viewQuery).view ?? 'full'));
  });
  route(app, { method: 'post', path: `${item}/redact`, summary: 'Redact a memory version (its content leaves the blob store)', tag, body: emptyBodySchema, response: memoryVersionSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await deps.memoryVersions.redact(scope(c), c.req.param('memory_version_id')!, { kind: 'principal', principal: c.get('principal') }));
  });
}
