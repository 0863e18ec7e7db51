/**
 * Streams a multipart/form-data request into temporary files: each file part is hashed (SHA-256)
 * and counted while it is written to `dir`, so an upload of any size is never held in memory.
 * A part over the size limit fails the whole request at once (413) without reading the rest;
 * every temporary file is removed on failure, and the caller removes them after use.
 */
import busboy from 'busboy';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidRequestError, RequestTooLargeError } from '../errors.ts';

export interface SpooledPart {
  /** The form field name (`file`, `files[]`). */
  field: string;
  /** The filename as the client sent it (may contain directories). */
  filename: string;
  /** The part's content-type as sent. */
  mimeType: string;
  /** The temporary file holding the bytes. */
  tmpPath: string;
  sizeBytes: number;
  sha256: string;
}

export interface MultipartLimits {
  /** Largest single file part, bytes. */
  maxFileBytes: number;
  /** Largest sum of all file parts, bytes. */
  maxTotalBytes: number;
  maxFiles: number;
  /** Field names that are files even when sent without a filename (as plain fields). */
  fileFields?: string[];
  /** Keep directories in part filenames (skills upload `my-skill/SKILL.md`). */
  preservePath?: boolean;
}

export interface MultipartUpload {
  parts: SpooledPart[];
  fields: Record<string, string>;
}

const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 64 * 1024;
/** How much of a refused upload is read and dropped before the connection is cut instead. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/** Reads and drops the rest of a body, destroying it past `maxBytes`. */
export function discardBody(body: Readable, maxBytes: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    if (body.readableEnded || body.destroyed) return resolve();
    body.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) {
        body.destroy();
        resolve();
      }
    });
    body.once('end', resolve);
    body.once('error', () => resolve());
    body.once('close', resolve);
    body.resume();
  });
}

/** Reads the whole form; throws InvalidRequestError (not multipart, malformed) or RequestTooLargeError. */
export function readMultipart(request: { contentType: string | undefined; body: Readable }, dir: string, limits: MultipartLimits): Promise<MultipartUpload> {
  if (!request.contentType?.toLowerCase().startsWith('multipart/form-data')) {
    return Promise.reject(new InvalidRequestError(`the body must be multipart/form-data (got ${request.contentType ?? 'no content-type'})`));
  }
  return new Promise((resolve, reject) => {
    const parser = busboy({ headers: { 'content-type': request.contentType }, preservePath: limits.preservePath ?? false, limits: { files: limits.maxFiles, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } });
    const fields: Record<string, string> = {};
    const writes: Promise<SpooledPart>[] = [];
    const streams: Readable[] = [];
    const tmpPaths: string[] = [];
    let total = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      request.body.unpipe(parser);
      for (const stream of streams) stream.destroy();
      // Cleanup after the primary error, which is the one reported; the rest of the body is read
      // (up to a bound) so the client gets the response instead of a reset connection.
      void Promise.allSettled(writes)
        .then(() => Promise.all(tmpPaths.map((p) => rm(p, { force: true }))))
        .catch(() => undefined)
        .then(() => discardBody(request.body, DISCARD_LIMIT_BYTES))
        .finally(() => reject(err));
    };
    const countTotal = (n: number) => {
      total += n;
      if (total > limits.maxTotalBytes) throw new RequestTooLargeError(`the uploaded files are larger than ${limits.maxTotalBytes} bytes in total`);
    };
    const onFile = (field: string, stream: Readable, info: { filename?: string; mimeType: string }) => {
      if (failed) return void stream.resume();
      const tmpPath = path.join(dir, `upload-${randomBytes(9).toString('hex')}`);
      tmpPaths.push(tmpPath);
      streams.push(stream);
      const write = spoolPart({ stream, tmpPath, maxBytes: limits.maxFileBytes, countTotal }).then((r) => ({ field, filename: info.filename ?? '', mimeType: info.mimeType, tmpPath, ...r }));
      write.catch(fail);
      writes.push(write);
    };
    parser.on('file', onFile);
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new InvalidRequestError(`form field ${name} is longer than ${MAX_FIELD_BYTES} bytes (send files with a filename)`));
      // A file part without a filename arrives as a field: keep it as a file named by the caller.
      if (limits.fileFields?.includes(name)) return onFile(name, Readable.from([Buffer.from(value, 'utf8')]), { filename: '', mimeType: info.mimeType });
      fields[name] = value;
    });
    parser.on('filesLimit', () => fail(new InvalidRequestError(`at most ${limits.maxFiles} files per upload`)));
    parser.on('fieldsLimit', () => fail(new InvalidRequestError(`at most ${MAX_FIELDS} form fields per upload`)));
    parser.on('error', (err: Error) => fail(new InvalidRequestError(`malformed multipart body: ${err.message}`)));
    request.body.on('error', (err: Error) => fail(err instanceof RequestTooLargeError ? err : new InvalidRequestError(`could not read the upload: ${err.message}`)));
    parser.on('close', () => {
      Promise.all(writes).then((parts) => {
        if (!failed) resolve({ parts, fields });
      }, fail);
    });
    request.body.pipe(parser);
  });
}

async function spoolPart(o: { stream: Readable; tmpPath: string; maxBytes: number; countTotal: (n: number) => void }): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      try {
        if (size > o.maxBytes) throw new RequestTooLargeError(`a file is larger than the limit of ${o.maxBytes} bytes (FILES_MAX_BYTES)`);
        o.countTotal(chunk.length);
      } catch (err) {
        return callback(err as Error);
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(o.stream, counter, createWriteStream(o.tmpPath, { mode: 0o600, flags: 'wx' }));
  return { sizeBytes: size, sha256: hash.digest('hex') };
}
