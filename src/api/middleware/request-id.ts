/** Gives every request a `req_…` id, exposed as the request-id response header and in logs. */
import type { MiddlewareHandler } from 'hono';
import { newId } from '../../lib/ids.ts';

export const requestId: MiddlewareHandler = async (c, next) => {
  const id = newId('req');
  c.set('requestId', id);
  c.header('request-id', id);
  await next();
};
