/** /v1/deployments and /v1/deployment_runs (SDK `beta.deployments`, `beta.deploymentRuns`). */
import { z } from '@hono/zod-openapi';
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { deploymentCreateSchema, deploymentRunSchema, deploymentSchema, deploymentUpdateSchema } from '../schemas/deployments.ts';
import { emptyBodySchema, includeArchivedSchema, pageOf, pageQuerySchema } from '../schemas/common.ts';
import type { DeploymentService } from '../../deployments/deployment-service.ts';
import { rfc3339 } from './query-helpers.ts';

const listQuery = pageQuerySchema.extend({
  include_archived: includeArchivedSchema,
  status: z.enum(['active', 'paused']).optional(),
  agent_id: z.string().min(1).optional(),
  'created_at[gte]': rfc3339, 'created_at[lte]': rfc3339,
});

const booleanQuery = z.enum(['true', 'false', '1', '0']).optional().transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

const runListQuery = pageQuerySchema.extend({
  deployment_id: z.string().min(1).optional(),
  has_error: booleanQuery,
  trigger_type: z.enum(['schedule', 'manual']).optional(),
  'created_at[gt]': rfc3339, 'created_at[gte]': rfc3339, 'created_at[lt]': rfc3339, 'created_at[lte]': rfc3339,
});

export function mountDeploymentRoutes(app: App, deps: { deployments: DeploymentService }): void {
  const tag = 'Deployments';
  const svc = deps.deployments;
  const id = (c: { req: { param(n: string): string | undefined } }) => c.req.param('deployment_id')!;
  route(app, { method: 'post', path: '/v1/deployments', summary: 'Create a deployment', tag, body: deploymentCreateSchema, response: deploymentSchema }, async (c) => {
    return c.json(await svc.create(c.get('principal').tenantId, await parseBody(c, deploymentCreateSchema)));
  });
  route(app, { method: 'get', path: '/v1/deployments', summary: 'List deployments', tag, query: listQuery, response: pageOf(deploymentSchema, 'DeploymentPage') }, async (c) => {
    const q = parseQuery(c, listQuery);
    return c.json(await svc.list(c.get('principal').tenantId, {
      limit: q.limit ?? 20, page: q.page, includeArchived: q.include_archived, status: q.status, agentId: q.agent_id,
      createdGte: q['created_at[gte]'], createdLte: q['created_at[lte]'],
    }));
  });
  route(app, { method: 'get', path: '/v1/deployments/{deployment_id}', summary: 'Retrieve a deployment', tag, response: deploymentSchema }, async (c) => {
    return c.json(await svc.get(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'post', path: '/v1/deployments/{deployment_id}', summary: 'Update a deployment', tag, body: deploymentUpdateSchema, response: deploymentSchema }, async (c) => {
    return c.json(await svc.update(c.get('principal').tenantId, id(c), await parseBody(c, deploymentUpdateSchema)));
  });
  for (const action of ['archive', 'pause', 'unpause'] as const) {
    route(app, { method: 'post', path: `/v1/deployments/{deployment_id}/${action}`, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a deployment`, tag, body: emptyBodySchema, response: deploymentSchema }, async (c) => {
      await parseBody(c, emptyBodySchema);
      return c.json(await svc[action](c.get('principal').tenantId, id(c)));
    });
  }
  route(app, { method: 'post', path: '/v1/deployments/{deployment_id}/run', summary: 'Run a deployment now', tag, body: emptyBodySchema, response: deploymentRunSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await svc.run(c.get('principal').tenantId, id(c)));
  });

  const runTag = 'Deployment runs';
  route(app, { method: 'get', path: '/v1/deployment_runs', summary: 'List deployment runs', tag: runTag, query: runListQuery, response: pageOf(deploymentRunSchema, 'DeploymentRunPage') }, async (c) => {
    const q = parseQuery(c, runListQuery);
    return c.json(await svc.listRuns(c.get('principal').tenantId, {
      limit: q.limit ?? 20, page: q.page, deploymentId: q.deployment_id, hasError: q.has_error, triggerType: q.trigger_type,
      createdGt: q['created_at[gt]'], createdGte: q['created_at[gte]'], createdLt: q['created_at[lt]'], createdLte: q['created_at[lte]'],
    }));
  });
  route(app, { method: 'get', path: '/v1/deployment_runs/{deployment_run_id}', summary: 'Retrieve a deployment run', tag: runTag, response: deploymentRunSchema }, async (c) => {
    return c.json(await svc.getRun(c.get('principal').tenantId, c.req.param('deployment_run_id')!));
  });
}
