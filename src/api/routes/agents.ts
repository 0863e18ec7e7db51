/** /v1/agents */
import { z } from '@hono/zod-openapi';
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { agentCreateSchema, agentSchema, agentUpdateSchema } from '../schemas/agents.ts';
import { emptyBodySchema, includeArchivedSchema, pageOf, pageQuerySchema } from '../schemas/common.ts';
import type { AgentService } from '../../agents/agent-service.ts';
import type { Store } from '../../store/store.ts';
import { rfc3339 } from './query-helpers.ts';

const listQuery = pageQuerySchema.extend({ include_archived: includeArchivedSchema, 'created_at[gte]': rfc3339, 'created_at[lte]': rfc3339 });

export function mountAgentRoutes(app: App, deps: { agents: AgentService; store: Store }): void {
  const tag = 'Agents';
  route(app, { method: 'post', path: '/v1/agents', summary: 'Create an agent', tag, body: agentCreateSchema, response: agentSchema }, async (c) => {
    const body = await parseBody(c, agentCreateSchema);
    return c.json(await deps.agents.create(c.get('principal').tenantId, body));
  });
  route(app, { method: 'get', path: '/v1/agents', summary: 'List agents', tag, query: listQuery, response: pageOf(agentSchema, 'AgentPage') }, async (c) => {
    const q = parseQuery(c, listQuery);
    return c.json(await deps.store.agents.list(c.get('principal').tenantId, { limit: q.limit ?? 20, page: q.page, includeArchived: q.include_archived, createdGte: q['created_at[gte]'], createdLte: q['created_at[lte]'] }));
  });
  const getQuery = z.object({ version: z.coerce.number().int().min(1).optional() });
  route(app, { method: 'get', path: '/v1/agents/{agent_id}', summary: 'Retrieve an agent (optionally a past version)', tag, query: getQuery, response: agentSchema }, async (c) => {
    const q = parseQuery(c, getQuery);
    return c.json(await deps.agents.get(c.get('principal').tenantId, c.req.param('agent_id')!, q.version));
  });
  route(app, { method: 'post', path: '/v1/agents/{agent_id}', summary: 'Update an agent (creates a new version)', tag, body: agentUpdateSchema, response: agentSchema }, async (c) => {
    const body = await parseBody(c, agentUpdateSchema);
    return c.json(await deps.agents.update(c.get('principal').tenantId, c.req.param('agent_id')!, body));
  });
  route(app, { method: 'post', path: '/v1/agents/{agent_id}/archive', summary: 'Archive an agent', tag, body: emptyBodySchema, response: agentSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await deps.agents.archive(c.get('principal').tenantId, c.req.param('agent_id')!));
  });
  route(app, { method: 'get', path: '/v1/agents/{agent_id}/versions', summary: 'List versions of an agent', tag, query: pageQuerySchema, response: pageOf(agentSchema, 'AgentVersionPage') }, async (c) => {
    const q = parseQuery(c, pageQuerySchema);
    return c.json(await deps.agents.listVersions(c.get('principal').tenantId, c.req.param('agent_id')!, { limit: q.limit ?? 20, page: q.page }));
  });
}
