/**
 * Files: metadata rows per tenant, bytes in the files blob store (content-addressed, so identical
 * uploads share one blob; the blob goes with the last row holding it). Uploads arrive as spooled
 * temporary files (multipart-upload.ts), never whole in memory. Every file is downloadable here
 * (the hosted API refuses downloads of uploaded files; a self-hosted server has no reason to).
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidRequestError, NotFoundError, RequestTooLargeError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import { toIso } from '../lib/time.ts';
import type { Store } from '../store/store.ts';
import type { FileTable } from '../store/schema.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import { MAX_EXPIRES_IN_SECONDS, MAX_LIST_IDS, MIN_EXPIRES_IN_SECONDS, fileUploadSchema, type FileListQuery, type FileMetadata, type FilePage } from '../api/schemas/files.ts';
import { extensionOf, mimeTypeOf } from './mime-types.ts';
import { discardBody, readMultipart } from './multipart-upload.ts';
import { releaseFileBlobs } from './file-blobs.ts';

/** Room for the multipart boundaries and part headers around the file's bytes. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export interface NewFile {
  /** The temporary file with the bytes; moved into the blob store and removed. */
  tmpPath: string;
  filename: string;
  declaredType?: string;
  sizeBytes: number;
  sha256: string;
  expiresInSeconds?: number;
  /** Agent outputs: the session that produced the file. */
  sessionId?: string;
  /** Agent outputs: the path under /mnt/session/outputs, recorded with the row (session_outputs) so it is collected once. */
  outputPath?: string;
}

export function toFileMetadata(row: FileTable): FileMetadata {
  return {
    id: row.id,
    type: 'file',
    filename: row.filename,
    mime_type: row.mime_type,
    size_bytes: row.size_bytes,
    created_at: toIso(row.created_at),
    downloadable: row.downloadable === 1,
    expires_at: toIso(row.expires_at),
    scope: row.scope_id !== null ? { type: 'session', id: row.scope_id } : null,
  };
}

/** Only the last path component of a client's filename, without control characters. */
export function cleanFilename(raw: string, mimeType: string): string {
  const base = path.posix.basename(raw.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (base === '' || base === '.' || base === '..') return `unnamed${extensionOf(mimeType)}`;
  return base.slice(0, 255);
}

export interface UploadRequest {
  contentType: string | undefined;
  contentLength: number | undefined;
  body: Readable;
}

export class FileService {
  constructor(private readonly deps: { store: Store; blobs: BlobStore; uploads: { dir: string; maxBytes: number } }) {}

  /** POST /v1/files: one `file` part (extra fields such as `purpose` are ignored), `expires_in_seconds?`. */
  async upload(tenantId: string, request: UploadRequest): Promise<FileMetadata> {
    const { maxBytes, dir } = this.deps.uploads;
    if (request.contentLength !== undefined && request.contentLength > maxBytes + MULTIPART_OVERHEAD_BYTES) {
      await discardBody(request.body, MULTIPART_OVERHEAD_BYTES + maxBytes);
      throw new RequestTooLargeError(`the upload is ${request.contentLength} bytes; files are limited to ${maxBytes} bytes (FILES_MAX_BYTES)`);
    }
    const form = await readMultipart(request, dir, { maxFileBytes: maxBytes, maxTotalBytes: maxBytes, maxFiles: 1, fileFields: ['file'] });
    const part = form.parts[0];
    try {
      if (!part || part.field !== 'file') throw new InvalidRequestError('file: is required (a multipart part named "file" with a filename)');
      const expires = form.fields.expires_in_seconds;
      const parsed = expires === undefined ? { success: true as const, data: {} } : fileUploadSchema.pick({ expires_in_seconds: true }).safeParse({ expires_in_seconds: Number(expires) });
      if (!parsed.success) throw new InvalidRequestError(`expires_in_seconds: must be an integer from ${MIN_EXPIRES_IN_SECONDS} to ${MAX_EXPIRES_IN_SECONDS} (got ${JSON.stringify(expires)})`);
      return await this.create(tenantId, { tmpPath: part.tmpPath, filename: part.filename, declaredType: part.mimeType, sizeBytes: part.sizeBytes, sha256: part.sha256, expiresInSeconds: parsed.data.expires_in_seconds });
    } finally {
      await Promise.all(form.parts.map((p) => rm(p.tmpPath, { force: true })));
    }
  }

  async create(tenantId: string, input: NewFile): Promise<FileMetadata> {
    const now = Date.now();
    const mimeType = mimeTypeOf(input.filename, input.declaredType);
    const row: FileTable = {
      id: newId('file'),
      tenant_id: tenantId,
      filename: cleanFilename(input.filename, mimeType),
      mime_type: mimeType,
      size_bytes: input.sizeBytes,
      sha256: input.sha256,
      downloadable: 1,
      scope_type: input.sessionId ? 'session' : null,
      scope_id: input.sessionId ?? null,
      created_at: now,
      expires_at: input.expiresInSeconds ? now + input.expiresInSeconds * 1000 : null,
    };
    try {
      // The blob is written before the row so a row never names missing bytes; a crash in between
      // leaves an unreferenced blob, which costs space but no correctness.
      await this.deps.blobs.put(input.sha256, createReadStream(input.tmpPath));
    } finally {
      await rm(input.tmpPath, { force: true });
    }
    await this.deps.store.transaction(async (tx) => {
      await tx.files.insert(row);
      if (input.sessionId !== undefined && input.outputPath !== undefined) {
        await tx.files.insertOutput({ session_id: input.sessionId, path: input.outputPath, sha256: input.sha256, tenant_id: tenantId, file_id: row.id, created_at: now });
      }
    });
    return toFileMetadata(row);
  }

  /** The row; NotFoundError for an unknown id or another tenant's. */
  async getRow(tenantId: string, id: string): Promise<FileTable> {
    const row = await this.deps.store.files.find(tenantId, id);
    if (!row) throw notFound('file', id);
    return row;
  }

  async get(tenantId: string, id: string): Promise<FileMetadata> {
    return toFileMetadata(await this.getRow(tenantId, id));
  }

  async list(tenantId: string, q: FileListQuery): Promise<FilePage> {
    if (q.ids !== undefined) return this.listIds(tenantId, q);
    const limit = q.limit ?? 20;
    const anchor = async (id: string | undefined, name: string) => {
      if (id === undefined) return undefined;
      const row = await this.deps.store.files.find(tenantId, id);
      if (!row) throw new InvalidRequestError(`${name}: file ${JSON.stringify(id)} not found; use an id from a previous page`);
      return row;
    };
    const page = await this.deps.store.files.list(tenantId, { limit, page: q.page, scopeId: q.scope_id, after: await anchor(q.after_id, 'after_id'), before: await anchor(q.before_id, 'before_id') });
    const data = page.rows.map(toFileMetadata);
    return { data, next_page: page.next_page, has_more: page.has_more, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
  }

  private async listIds(tenantId: string, q: FileListQuery): Promise<FilePage> {
    if (q.limit !== undefined || q.page !== undefined) throw new InvalidRequestError('ids: cannot be combined with limit or page (a list by ids is always one page)');
    const ids = [...new Set(q.ids)];
    if (ids.length > MAX_LIST_IDS) throw new InvalidRequestError(`ids: at most ${MAX_LIST_IDS} ids (got ${ids.length})`);
    let rows = await this.deps.store.files.findMany(tenantId, ids);
    if (q.scope_id !== undefined) rows = rows.filter((r) => r.scope_id === q.scope_id);
    const data = rows.map(toFileMetadata);
    return { data, next_page: null, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
  }

  /** The file's bytes as a stream, with its metadata. NotFoundError (`file_expired`) after expiry. */
  async open(tenantId: string, id: string): Promise<{ file: FileMetadata; stream: Readable }> {
    const row = await this.getRow(tenantId, id);
    if (row.expires_at !== null && row.expires_at <= Date.now()) {
      throw new NotFoundError(`file ${id} expired at ${toIso(row.expires_at)}; its content is no longer available`, { details: { error_code: 'file_expired' } });
    }
    const stream = await this.deps.blobs.get(row.sha256);
    if (!stream) throw new NotFoundError(`the content of file ${id} is missing from the blob store (${this.deps.blobs.description})`);
    return { file: toFileMetadata(row), stream };
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'file_deleted' }> {
    const row = await this.getRow(tenantId, id);
    if (await this.deps.store.files.delete(tenantId, id)) await releaseFileBlobs(this.deps, [row.sha256]);
    return { id, type: 'file_deleted' };
  }
}
