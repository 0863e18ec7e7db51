/** Gives every request a `req_…` id, exposed as the request-id response header and in logs. */
import type { Context } from 'hono';
import { ServerResponse } from 'node:http';
import { newId } from '../../lib/ids.ts';

export function assignRequestId(c: Context): void {
  const id = newId('req');
  c.set('requestId', id);
  // On node the header goes straight onto the response, which writeHead merges with whatever the
  // route answers (errors, streams, files alike). c.header would make Hono build a web Headers
  // object for every response just to carry it, and the adapter turn that back into node headers.
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (outgoing instanceof ServerResponse) outgoing.setHeader('request-id', id);
  else c.header('request-id', id);
}
