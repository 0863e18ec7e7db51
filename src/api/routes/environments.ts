/** /v1/environments */
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { environmentCreateSchema, environmentSchema, environmentUpdateSchema } from '../schemas/environments.ts';
import { emptyBodySchema, includeArchivedSchema, pageOf, pageQuerySchema } from '../schemas/common.ts';
import type { EnvironmentService } from '../../environments/environment-service.ts';
import type { Store } from '../../store/store.ts';

const listQuery = pageQuerySchema.extend({ include_archived: includeArchivedSchema });

export function mountEnvironmentRoutes(app: App, deps: { environments: EnvironmentService; store: Store }): void {
  const tag = 'Environments';
  const id = (c: { req: { param(n: string): string | undefined } }) => c.req.param('environment_id')!;
  route(app, { method: 'post', path: '/v1/environments', summary: 'Create an environment', tag, body: environmentCreateSchema, response: environmentSchema }, async (c) => {
    return c.json(await deps.environments.create(c.get('principal').tenantId, await parseBody(c, environmentCreateSchema)));
  });
  route(app, { method: 'get', path: '/v1/environments', summary: 'List environments', tag, query: listQuery, response: pageOf(environmentSchema, 'EnvironmentPage') }, async (c) => {
    const q = parseQuery(c, listQuery);
    return c.json(await deps.store.environments.list(c.get('principal').tenantId, { limit: q.limit ?? 20, page: q.page, includeArchived: q.include_archived }));
  });
  route(app, { method: 'get', path: '/v1/environments/{environment_id}', summary: 'Retrieve an environment', tag, response: environmentSchema }, async (c) => {
    return c.json(await deps.environments.get(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'post', path: '/v1/environments/{environment_id}', summary: 'Update an environment', tag, body: environmentUpdateSchema, response: environmentSchema }, async (c) => {
    return c.json(await deps.environments.update(c.get('principal').tenantId, id(c), await parseBody(c, environmentUpdateSchema)));
  });
  route(app, { method: 'post', path: '/v1/environments/{environment_id}/archive', summary: 'Archive an environment', tag, body: emptyBodySchema, response: environmentSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await deps.environments.archive(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'delete', path: '/v1/environments/{environment_id}', summary: 'Delete an environment', tag }, async (c) => {
    return c.json(await deps.environments.delete(c.get('principal').tenantId, id(c)));
  });
}
