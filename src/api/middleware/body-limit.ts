/** Refuses bodies over the configured size with 413 request_too_large, before reading them whole. */
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { MiddlewareHandler } from 'hono';
import { RequestTooLargeError } from '../../errors.ts';

export function bodyLimit(maxBytes: number): MiddlewareHandler {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new RequestTooLargeError(`request body is larger than ${maxBytes} bytes`);
    },
  });
}
