/**
 * Refuses bodies over the configured size with 413 request_too_large, before reading them whole.
 * Streamed uploads (multipart files and skills) are passed through untouched: Hono's limiter
 * buffers a chunked body whole, so those routes count and limit their bytes while streaming.
 */
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { Context, MiddlewareHandler } from 'hono';
import { RequestTooLargeError } from '../../errors.ts';

export function bodyLimit(maxBytes: number, isStreamedUpload: (c: Context) => boolean = () => false): MiddlewareHandler {
  const limit = honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new RequestTooLargeError(`request body is larger than ${maxBytes} bytes`);
    },
  });
  return (c, next) => (isStreamedUpload(c) ? next() : limit(c, next));
}
