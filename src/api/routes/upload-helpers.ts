/** Shared by the multipart upload and download routes (files, skills). */
import { Readable } from 'node:stream';
import type { Context } from 'hono';

/** The request body as a Node stream, unread, with its declared type and length. */
export function requestBodyStream(c: Context): { contentType: string | undefined; contentLength: number | undefined; body: Readable } {
  const length = c.req.header('content-length');
  const raw = c.req.raw.body;
  return {
    contentType: c.req.header('content-type'),
    contentLength: length === undefined ? undefined : Number(length),
    body: raw ? Readable.fromWeb(raw as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]),
  };
}

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** POST routes whose bodies are streamed uploads (exempt from the JSON body limit; they count their own bytes). */
export function isStreamedUpload(c: Context): boolean {
  if (c.req.method !== 'POST') return false;
  return /^\/v1\/(files|skills|skills\/[^/]+\/versions)\/?$/.test(c.req.path);
}
