/**
 * Refuses bodies over the configured size with 413 request_too_large, before reading them whole.
 * Streamed uploads (multipart files and skills) are passed through untouched: Hono's limiter
 * buffers a chunked body whole, so those routes count and limit their bytes while streaming.
 *
 * The common cases are decided from the headers alone, without touching `c.req.raw.body`: that
 * getter makes @hono/node-server build a full undici Request (web stream over the socket, abort
 * signal, header copy) for every request, which cost more than the rest of the middleware chain.
 * - GET/HEAD carry no body (the adapter gives them none), so there is nothing to limit.
 * - A Content-Length without Transfer-Encoding is the number of body bytes node's parser will
 *   deliver (it never reads past it), so comparing it is the limit, as Hono's limiter does.
 * - Anything else (chunked) goes through Hono's limiter, which counts the bytes as they arrive.
 */
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { Context, MiddlewareHandler } from 'hono';
import { RequestTooLargeError } from '../../errors.ts';

export function bodyLimit(maxBytes: number, isStreamedUpload: (c: Context) => boolean = () => false): MiddlewareHandler {
  const tooLarge = () => new RequestTooLargeError(`request body is larger than ${maxBytes} bytes`);
  const counted = honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  return (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || isStreamedUpload(c)) return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (parseInt(length, 10) > maxBytes) throw tooLarge();
      return next();
    }
    return counted(c, next);
  };
}
