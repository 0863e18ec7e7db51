/** /v1/model_cards: per-tenant model providers (api_key write-only). */
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { modelCardCreateSchema, modelCardDeletedSchema, modelCardSchema, modelCardUpdateSchema } from '../schemas/model-cards.ts';
import { pageOf, pageQuerySchema } from '../schemas/common.ts';
import type { ModelCardService } from '../../model-cards/model-card-service.ts';

export function mountModelCardRoutes(app: App, deps: { modelCards: ModelCardService }): void {
  const tag = 'Model cards';
  const id = (c: { req: { param(n: string): string | undefined } }) => c.req.param('model_card_id')!;
  route(app, { method: 'post', path: '/v1/model_cards', summary: 'Create a model card', tag, body: modelCardCreateSchema, response: modelCardSchema }, async (c) => {
    return c.json(await deps.modelCards.create(c.get('principal').tenantId, await parseBody(c, modelCardCreateSchema)));
  });
  route(app, { method: 'get', path: '/v1/model_cards', summary: 'List model cards', tag, query: pageQuerySchema, response: pageOf(modelCardSchema, 'ModelCardPage') }, async (c) => {
    const q = parseQuery(c, pageQuerySchema);
    return c.json(await deps.modelCards.list(c.get('principal').tenantId, { limit: q.limit ?? 20, page: q.page }));
  });
  route(app, { method: 'get', path: '/v1/model_cards/{model_card_id}', summary: 'Retrieve a model card', tag, response: modelCardSchema }, async (c) => {
    return c.json(await deps.modelCards.get(c.get('principal').tenantId, id(c)));
  });
  route(app, { method: 'post', path: '/v1/model_cards/{model_card_id}', summary: 'Update a model card', tag, body: modelCardUpdateSchema, response: modelCardSchema }, async (c) => {
    return c.json(await deps.modelCards.update(c.get('principal').tenantId, id(c), await parseBody(c, modelCardUpdateSchema)));
  });
  route(app, { method: 'delete', path: '/v1/model_cards/{model_card_id}', summary: 'Delete a model card', tag, response: modelCardDeletedSchema }, async (c) => {
    return c.json(await deps.modelCards.delete(c.get('principal').tenantId, id(c)));
  });
}
