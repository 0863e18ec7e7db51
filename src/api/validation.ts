/**
 * Request parsing with the wire schemas. Bodies are JSON. A request from a browser (it carries an
 * Origin header) must say so with application/json (or `+json`): the content types a cross-site page
 * can send without a CORS preflight (text/plain, forms, multipart) are refused (415). Without an Origin
 * (curl -d's form type, fetch's text/plain default) the body is read as JSON whatever its type. Every
 * failure becomes an InvalidRequestError that names the field that failed.
 */
import type { Context } from 'hono';
import { IncomingMessage } from 'node:http';
import type { z } from '@hono/zod-openapi';
import { InvalidRequestError, RequestTooLargeError, UnsupportedMediaTypeError } from '../errors.ts';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../lib/json-depth.ts';

export function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return ': invalid';
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
  if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.join(', ')}`;
  return `${path}: ${message}`;
}

/** Throws UnsupportedMediaTypeError for a browser request whose body is not declared JSON (see the header). */
function checkContentType(c: Context): void {
  if (c.req.header('origin') === undefined) return;
  const type = c.req.header('content-type')?.split(';')[0]!.trim().toLowerCase();
  if (type === undefined || type === '' || type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type)) return;
  throw new UnsupportedMediaTypeError(`a request from a browser page must send its JSON body as content-type: application/json, not ${type}`);
}

const utf8 = new TextDecoder();

/**
 * The body, read at once when node's parser has already received all of it (the usual case: a
 * small JSON body arrives with its headers): the chunks buffered in the IncomingMessage are taken
 * with one read() instead of a round of stream events and promises per request. All of it is there
 * when the message is complete, or when the buffer holds Content-Length bytes (node's parser never
 * delivers more): the handler usually runs in the microtasks after the parser's body callback, before
 * its message-complete one. Then the stream is resumed, so it ends by itself when the parser reports
 * the end (nothing is left to read; node-server would otherwise drain it on timers after the
 * response). Decoded as c.req.text() decodes (TextDecoder: a BOM dropped, bad bytes replaced).
 * Undefined when not available so: a body still arriving, chunked, or already read (the chunked body
 * limit reads it into a new Request); then c.req.text() reads it as before.
 */
function bufferedBody(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (!(incoming instanceof IncomingMessage) || incoming.readableDidRead || incoming.readableEncoding !== null) return undefined;
  const complete = incoming.complete;
  if (!complete && !(incoming.headers['transfer-encoding'] === undefined && incoming.readableLength === Number(incoming.headers['content-length']))) return undefined;
  const data = incoming.read() as Buffer | null;
  if (!complete) incoming.resume();
  return data === null ? '' : utf8.decode(data);
}

/** Reads the body (bounded by the body-limit middleware) and validates it; empty body = {}. */
export async function parseBody<S extends z.ZodTypeAny>(c: Context, schema: S): Promise<z.infer<S>> {
  checkContentType(c);
  let text: string;
  try {
    text = bufferedBody(c) ?? (await c.req.text());
  } catch (err) {
    if (err instanceof RequestTooLargeError) throw err;
    throw new InvalidRequestError('could not read the request body', { cause: err });
  }
  let value: unknown = {};
  if (text.trim() !== '') {
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new InvalidRequestError(`request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new InvalidRequestError(`request body is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidRequestError('request body must be a JSON object');
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(`body${zodMessage(parsed.error)}`);
  return parsed.data;
}

/**
 * Query parameters with arrays accepted as `k[]=a&k[]=b`, `k=a&k=b` and `k=a,b`. Keys named in
 * `arrays` come back as string arrays; others as the last value.
 */
export function parseQuery<S extends z.ZodTypeAny>(c: Context, schema: S, arrays: string[] = []): z.infer<S> {
  const url = new URL(c.req.url);
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of url.searchParams) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    if (arrays.includes(key)) {
      const list = (out[key] as string[] | undefined) ?? [];
      list.push(...value.split(',').filter((v) => v !== ''));
      out[key] = list;
    } else {
      out[key] = value;
    }
  }
  const parsed = schema.safeParse(out);
  if (!parsed.success) throw new InvalidRequestError(`query${zodMessage(parsed.error)}`);
  return parsed.data;
}
