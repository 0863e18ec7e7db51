/** /v1/sessions/{id}/events, the stream, and _test_emit. */
import { z } from '@hono/zod-openapi';
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { sendEventsSchema } from '../schemas/events.ts';
import { pageQuerySchema } from '../schemas/common.ts';
import type { SessionEventsService } from '../../sessions/session-events-service.ts';
import { InvalidRequestError, NotFoundError } from '../../errors.ts';
import { orderSchema, rfc3339 } from './query-helpers.ts';
import { streamSessionEvents, streamQuerySchema } from '../sse.ts';
import type { SseDeps } from '../sse.ts';

const listQuery = pageQuerySchema.extend({
  order: orderSchema,
  types: z.array(z.string().min(1)).optional(),
  include_extensions: z.enum(['true', 'false', '1', '0']).optional(),
  'created_at[gt]': rfc3339, 'created_at[gte]': rfc3339, 'created_at[lt]': rfc3339, 'created_at[lte]': rfc3339,
});
const testEmitSchema = z.strictObject({ text: z.string().max(100_000) }).openapi('TestEmit');

/**
 * Each event's JSON must fit MAX_EVENT_BYTES, well below what one SSE frame may carry, so every stored
 * event can be streamed whole (issue #24, finding 5).
 */
function checkEventSizes(events: unknown[], maxEventBytes: number): void {
  events.forEach((event, i) => {
    const bytes = Buffer.byteLength(JSON.stringify(event));
    if (bytes > maxEventBytes) {
      throw new InvalidRequestError(`body.events[${i}]: the event is ${bytes} bytes of JSON; the maximum per event is ${maxEventBytes} bytes (MAX_EVENT_BYTES). Send large content in several events or as files.`);
    }
  });
}

export function mountSessionEventRoutes(app: App, deps: { events: SessionEventsService; testEmit: boolean; maxEventBytes: number; sse: SseDeps }): void {
  const tag = 'Session events';
  const id = (c: { req: { param(n: string): string | undefined } }) => c.req.param('session_id')!;
  route(app, { method: 'post', path: '/v1/sessions/{session_id}/events', summary: 'Send events to a session', tag, body: sendEventsSchema }, async (c) => {
    const body = await parseBody(c, sendEventsSchema);
    checkEventSizes(body.events, deps.maxEventBytes);
    return c.json(await deps.events.send(c.get('principal').tenantId, id(c), body.events));
  });
  route(app, { method: 'get', path: '/v1/sessions/{session_id}/events', summary: 'List session events in order', tag, query: listQuery }, async (c) => {
    const q = parseQuery(c, listQuery, ['types']);
    const body = await deps.events.listJson(c.get('principal').tenantId, id(c), {
      limit: q.limit ?? 1000, page: q.page, order: q.order ?? 'asc', types: q.types,
      includeExtensions: q.include_extensions === 'true' || q.include_extensions === '1',
      processedGt: q['created_at[gt]'], processedGte: q['created_at[gte]'], processedLt: q['created_at[lt]'], processedLte: q['created_at[lte]'],
    });
    return c.body(body, 200, { 'content-type': 'application/json' });
  });
  route(app, { method: 'get', path: '/v1/sessions/{session_id}/events/stream', summary: 'Stream session events (SSE; resume with Last-Event-ID)', tag, query: streamQuerySchema, responseType: 'text/event-stream' }, (c) =>
    streamSessionEvents(c, deps.sse),
  );
  route(app, { method: 'post', path: '/v1/sessions/{session_id}/_test_emit', summary: 'Append a synthetic agent.message (demo/testing; OMA_TEST_EMIT=0 disables)', tag, body: testEmitSchema }, async (c) => {
    if (!deps.testEmit) throw new NotFoundError('_test_emit is disabled on this server (OMA_TEST_EMIT=0)');
    const body = await parseBody(c, testEmitSchema);
    return c.json(await deps.events.testEmit(c.get('principal').tenantId, id(c), body.text));
  });
}
