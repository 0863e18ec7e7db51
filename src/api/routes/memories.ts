/** /v1/memory_stores/{memory_store_id}/memories */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { memoryCreateSchema, memoryPrefixSchema, memorySchema, memoryUpdateSchema, viewSchema } from '../schemas/memory-stores.ts';
import { pageQuerySchema } from '../schemas/common.ts';
import { InvalidRequestError } from '../../errors.ts';
import type { MemoryService } from '../../memory/memory-service.ts';

const viewQuery = z.object({ view: viewSchema });
const listQuery = pageQuerySchema.extend({ view: viewSchema, path_prefix: z.string().optional(), depth: z.coerce.number().int().min(0).max(20).optional() });
const deleteQuery = z.object({ expected_content_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters').optional() });

/** view=full pages hold at most 20 items (reference §10). */
export function listLimit(limit: number | undefined, view: 'basic' | 'full'): number {
  if (view === 'full' && limit !== undefined && limit > 20) throw new InvalidRequestError(`limit: at most 20 with view=full (got ${limit}); use view=basic or a smaller limit`);
  return limit ?? 20;
}

export function mountMemoryRoutes(app: App, deps: { memories: MemoryService }): void {
  const tag = 'Memories';
  const collection = '/v1/memory_stores/{memory_store_id}/memories';
  const item = `${collection}/{memory_id}`;
  const scope = (c: Context<AppEnv>) => ({ tenantId: c.get('principal').tenantId, storeId: c.req.param('memory_store_id')! });
  const actor = (c: Context<AppEnv>) => ({ kind: 'principal' as const, principal: c.get('principal') });
  route(app, { method: 'post', path: collection, summary: 'Create a memory', tag, body: memoryCreateSchema, query: viewQuery, response: memorySchema }, async (c) => {
    const q = parseQuery(c, viewQuery);
    return c.json(await deps.memories.create(scope(c), await parseBody(c, memoryCreateSchema), actor(c), q.view ?? 'basic'));
  });
  route(app, { method: 'get', path: collection, summary: 'List memories', tag, query: listQuery, response: pageOf(z.union([memorySchema, memoryPrefixSchema])) }, async (c) => {
    const q = parseQuery(c, listQuery);
    const view = q.view ?? 'basic';
    return c.json(await deps.memories.list(scope(c), { pathPrefix: q.path_prefix, depth: q.depth, view, limit: listLimit(q.limit, view), page: q.page }));
  });
  route(app, { method: 'get', path: item, summary: 'Retrieve a memory', tag, query: viewQuery, response: memorySchema }, async (c) => {
    return c.json(await deps.memories.get(scope(c), c.req.param('memory_id')!, parseQuery(c, viewQuery).view ?? 'full'));
  });
  const update = async (c: Context<AppEnv>) => {
    const q = parseQuery(c, viewQuery);
    return c.json(await deps.memories.update({ ...scope(c), memoryId: c.req.param('memory_id')! }, await parseBody(c, memoryUpdateSchema), actor(c), q.view ?? 'basic'));
  };
  route(app, { method: 'post', path: item, summary: 'Update a memory (content and/or path)', tag, body: memoryUpdateSchema, query: viewQuery, response: memorySchema }, update);
  route(app, { method: 'patch', path: item, summary: 'Update a memory (PATCH spelling)', tag, body: memoryUpdateSchema, query: viewQuery, response: memorySchema }, update);
  route(app, { method: 'delete', path: item, summary: 'Delete a memory (its versions stay)', tag, query: deleteQuery }, async (c) => {
    const q = parseQuery(c, deleteQuery);
    return c.json(await deps.memories.delete(scope(c), c.req.param('memory_id')!, { expectedSha256: q.expected_content_sha256, actor: actor(c) }));
  });
}

function pageOf<T extends z.ZodTypeAny>(itemSchema: T) {
  return z.object({ data: z.array(itemSchema), next_page: z.string().nullable() }).openapi('MemoryPage');
}
