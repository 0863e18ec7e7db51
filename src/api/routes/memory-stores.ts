/** /v1/memory_stores (the SDK sends beta agent-memory-2026-07-22; no beta header is required here). */
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { memoryStoreCreateSchema, memoryStoreSchema, memoryStoreUpdateSchema } from '../schemas/memory-stores.ts';
import { emptyBodySchema, includeArchivedSchema, pageOf, pageQuerySchema } from '../schemas/common.ts';
import { rfc3339 } from './query-helpers.ts';
import type { MemoryStoreService } from '../../memory/memory-store-service.ts';

const listQuery = pageQuerySchema.extend({ include_archived: includeArchivedSchema, 'created_at[gte]': rfc3339, 'created_at[lte]': rfc3339 });

export function mountMemoryStoreRoutes(app: App, deps: { memoryStores: MemoryStoreService }): void {
  const tag = 'Memory stores';
  const id = (c: { req: { param(n: string): string | undefined } }) => c.req.param('memory_store_id')!;
  const item = '/v1/memory_stores/{memory_store_id}';
  route(app, { method: 'post', path: '/v1/memory_stores', summary: 'Create a memory store', tag, body: memoryStoreCreateSchema, response: memoryStoreSchema }, async (c) => {
    return c.json(await deps.memoryStores.create(c.get('principal').tenantId, await parseBody(c, memoryStoreCreateSchema)));
  });
  route(app, { method: 'get', path: '/v1/memory_stores', summary: 'List memory stores', tag, query: listQuery, response: pageOf(memoryStoreSchema, 'MemoryStorePage') }, async (c) => {
    const q = parseQuery(c, listQuery);
    return c.json(await deps.memoryStores.list(c.get('principal').tenantId, {
      limit: q.limit ?? 20, page: q.page, includeArchived: q.include_archived, createdGte: q['created_at[gte]'], createdLte: q['created_at[lte]'],
    }));
  });
  route(app, { method: 'get', path: item, summary: 'Retrieve a memory store', tag, response: memoryStoreSchema }, async (c) => {
    return c.json(await deps.memoryStores.get(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'post', path: item, summary: 'Update a memory store', tag, body: memoryStoreUpdateSchema, response: memoryStoreSchema }, async (c) => {
    return c.json(await deps.memoryStores.update(c.get('principal').tenantId, id(c), await parseBody(c, memoryStoreUpdateSchema)));
  });
  route(app, { method: 'post', path: `${item}/archive`, summary: 'Archive a memory store (read-only afterwards)', tag, body: emptyBodySchema, response: memoryStoreSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await deps.memoryStores.archive(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'delete', path: item, summary: 'Delete a memory store with its memories and versions', tag }, async (c) => {
    return c.json(await deps.memoryStores.delete(c.get('principal').tenantId, id(c)));
  });
}
