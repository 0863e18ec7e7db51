/** /v1/sessions */
import { z } from '@hono/zod-openapi';
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { sessionCreateSchema, sessionSchema, sessionUpdateSchema } from '../schemas/sessions.ts';
import { emptyBodySchema, includeArchivedSchema, pageQuerySchema } from '../schemas/common.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import { orderSchema, rfc3339 } from './query-helpers.ts';
import { InvalidRequestError } from '../../errors.ts';

const listQuery = pageQuerySchema.extend({
  include_archived: includeArchivedSchema,
  agent_id: z.string().min(1).optional(),
  agent_version: z.coerce.number().int().min(1).optional(),
  order: orderSchema,
  statuses: z.array(z.enum(['rescheduling', 'running', 'idle', 'terminated'])).optional(),
  'created_at[gt]': rfc3339, 'created_at[gte]': rfc3339, 'created_at[lt]': rfc3339, 'created_at[lte]': rfc3339,
  deployment_id: z.string().optional(),
  memory_store_id: z.string().optional(),
});

export function mountSessionRoutes(app: App, deps: { sessions: SessionService }): void {
  const tag = 'Sessions';
  const id = (c: { req: { param(n: string): string | undefined } }) => c.req.param('session_id')!;
  route(app, { method: 'post', path: '/v1/sessions', summary: 'Create a session', tag, body: sessionCreateSchema, response: sessionSchema }, async (c) => {
    return c.json(await deps.sessions.create(c.get('principal').tenantId, await parseBody(c, sessionCreateSchema)));
  });
  route(app, { method: 'get', path: '/v1/sessions', summary: 'List sessions', tag, query: listQuery, response: z.object({ data: z.array(sessionSchema), next_page: z.string().nullable(), prev_page: z.string().nullable() }).openapi('SessionPage') }, async (c) => {
    const q = parseQuery(c, listQuery, ['statuses']);
    if (q.agent_version !== undefined && !q.agent_id) {
      throw new InvalidRequestError('agent_version can only be used together with agent_id');
    }
    return c.json(await deps.sessions.list(c.get('principal').tenantId, {
      limit: q.limit ?? 20, page: q.page, order: q.order ?? 'desc', includeArchived: q.include_archived,
      agentId: q.agent_id, agentVersion: q.agent_version, statuses: q.statuses, memoryStoreId: q.memory_store_id, deploymentId: q.deployment_id,
      createdGt: q['created_at[gt]'], createdGte: q['created_at[gte]'], createdLt: q['created_at[lt]'], createdLte: q['created_at[lte]'],
    }));
  });
  route(app, { method: 'get', path: '/v1/sessions/{session_id}', summary: 'Retrieve a session', tag, response: sessionSchema }, async (c) => {
    return c.json(await deps.sessions.get(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'post', path: '/v1/sessions/{session_id}', summary: 'Update a session', tag, body: sessionUpdateSchema, response: sessionSchema }, async (c) => {
    return c.json(await deps.sessions.update(c.get('principal').tenantId, id(c), await parseBody(c, sessionUpdateSchema)));
  });
  route(app, { method: 'post', path: '/v1/sessions/{session_id}/archive', summary: 'Archive a session (terminates it)', tag, body: emptyBodySchema, response: sessionSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await deps.sessions.archive(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'delete', path: '/v1/sessions/{session_id}', summary: 'Delete a session and its events', tag }, async (c) => {
    return c.json(await deps.sessions.delete(c.get('principal').tenantId, id(c)));
  });
}
