/** /v1/sessions/{session_id}/resources */
import type { Context } from 'hono';
import type { App, AppEnv } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { pageOf, pageQuerySchema } from '../schemas/common.ts';
import { fileResourceSchema, resourceAddSchema, resourceUpdateSchema, sessionResourceSchema } from '../schemas/session-resources.ts';
import type { SessionResourceService } from '../../sessions/session-resource-service.ts';

export function mountSessionResourceRoutes(app: App, deps: { sessionResources: SessionResourceService }): void {
  const tag = 'Session resources';
  const collection = '/v1/sessions/{session_id}/resources';
  const item = `${collection}/{resource_id}`;
  const tenant = (c: Context<AppEnv>) => c.get('principal').tenantId;
  const sid = (c: Context<AppEnv>) => c.req.param('session_id')!;
  const rid = (c: Context<AppEnv>) => c.req.param('resource_id')!;
  route(app, { method: 'get', path: collection, summary: 'List session resources', tag, query: pageQuerySchema, response: pageOf(sessionResourceSchema, 'SessionResourcePage') }, async (c) => {
    const q = parseQuery(c, pageQuerySchema);
    return c.json(await deps.sessionResources.list(tenant(c), sid(c), { limit: q.limit ?? 20, page: q.page }));
  });
  route(app, { method: 'post', path: collection, summary: 'Add a file resource while the session is idle', tag, body: resourceAddSchema, response: fileResourceSchema }, async (c) => {
    const body = await parseBody(c, resourceAddSchema);
    return c.json(await deps.sessionResources.add(tenant(c), sid(c), body));
  });
  route(app, { method: 'get', path: item, summary: 'Retrieve a session resource (by id, or a memory store by memory_store_id)', tag, response: sessionResourceSchema }, async (c) => {
    return c.json(await deps.sessionResources.get(tenant(c), sid(c), rid(c)));
  });
  route(app, { method: 'post', path: item, summary: 'Rotate a resource token (github_repository only)', tag, body: resourceUpdateSchema, response: sessionResourceSchema }, async (c) => {
    const body = await parseBody(c, resourceUpdateSchema);
    return c.json(await deps.sessionResources.update(tenant(c), sid(c), rid(c), body));
  });
  route(app, { method: 'delete', path: item, summary: 'Detach a file or repository resource while the session is idle', tag }, async (c) => {
    return c.json(await deps.sessionResources.delete(tenant(c), sid(c), rid(c)));
  });
}
