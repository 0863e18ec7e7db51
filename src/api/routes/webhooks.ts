/** /v1/webhooks: endpoints, their deliveries, secret rotation and redelivery (issue #23; reference §9). */
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { webhookCreateSchema, webhookDeliverySchema, webhookSchema, webhookUpdateSchema, webhookWithSecretSchema } from '../schemas/webhooks.ts';
import { emptyBodySchema, pageOf, pageQuerySchema } from '../schemas/common.ts';
import type { WebhookService } from '../../webhooks/webhook-service.ts';

type Ctx = { req: { param(n: string): string | undefined } };
const webhookId = (c: Ctx) => c.req.param('webhook_id')!;
const deliveryId = (c: Ctx) => c.req.param('delivery_id')!;

export function mountWebhookRoutes(app: App, deps: { webhooks: WebhookService }): void {
  const tag = 'Webhooks';
  const { webhooks } = deps;
  route(app, { method: 'post', path: '/v1/webhooks', summary: 'Create a webhook endpoint (the signing secret is in this response only)', tag, body: webhookCreateSchema, response: webhookWithSecretSchema }, async (c) => {
    return c.json(await webhooks.create(c.get('principal').tenantId, await parseBody(c, webhookCreateSchema)));
  });
  route(app, { method: 'get', path: '/v1/webhooks', summary: 'List webhook endpoints', tag, query: pageQuerySchema, response: pageOf(webhookSchema, 'WebhookPage') }, async (c) => {
    const q = parseQuery(c, pageQuerySchema);
    return c.json(await webhooks.list(c.get('principal').tenantId, { limit: q.limit ?? 20, page: q.page }));
  });
  route(app, { method: 'get', path: '/v1/webhooks/{webhook_id}', summary: 'Retrieve a webhook endpoint', tag, response: webhookSchema }, async (c) => {
    return c.json(await webhooks.get(c.get('principal').tenantId, webhookId(c)));
  });
  route(app, { method: 'post', path: '/v1/webhooks/{webhook_id}', summary: 'Update a webhook endpoint (url, event_types, description, status)', tag, body: webhookUpdateSchema, response: webhookSchema }, async (c) => {
    return c.json(await webhooks.update(c.get('principal').tenantId, webhookId(c), await parseBody(c, webhookUpdateSchema)));
  });
  route(app, { method: 'delete', path: '/v1/webhooks/{webhook_id}', summary: 'Delete a webhook endpoint and its deliveries', tag }, async (c) => {
    return c.json(await webhooks.delete(c.get('principal').tenantId, webhookId(c)));
  });
  route(app, { method: 'post', path: '/v1/webhooks/{webhook_id}/rotate_secret', summary: 'Rotate the signing secret (the old one signs too for 24 hours)', tag, body: emptyBodySchema, response: webhookWithSecretSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await webhooks.rotateSecret(c.get('principal').tenantId, webhookId(c)));
  });
  route(app, { method: 'get', path: '/v1/webhooks/{webhook_id}/deliveries', summary: 'List deliveries with their attempts, newest first', tag, query: pageQuerySchema, response: pageOf(webhookDeliverySchema, 'WebhookDeliveryPage') }, async (c) => {
    const q = parseQuery(c, pageQuerySchema);
    return c.json(await webhooks.listDeliveries(c.get('principal').tenantId, webhookId(c), { limit: q.limit ?? 20, page: q.page }));
  });
  route(app, { method: 'post', path: '/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', summary: 'Send a delivery again now (same webhook-id)', tag, body: emptyBodySchema, response: webhookDeliverySchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await webhooks.redeliver(c.get('principal').tenantId, webhookId(c), deliveryId(c)));
  });
}
