/** /v1/files (reference §2.12; no beta header is required, the ones older SDKs send are accepted). */
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { App, AppEnv } from '../context.ts';
import { route } from '../route.ts';
import { parseQuery } from '../validation.ts';
import { fileListQuerySchema, fileMetadataSchema, filePageSchema, fileUploadSchema } from '../schemas/files.ts';
import type { FileService } from '../../files/file-service.ts';
import { contentDisposition, requestBodyStream } from './upload-helpers.ts';

export function mountFileRoutes(app: App, deps: { files: FileService }): void {
  const tag = 'Files';
  const tenant = (c: Context<AppEnv>) => c.get('principal').tenantId;
  const id = (c: Context<AppEnv>) => c.req.param('file_id')!;
  const item = '/v1/files/{file_id}';
  route(app, { method: 'post', path: '/v1/files', summary: 'Upload a file (multipart part "file"; streamed to the blob store)', tag, body: fileUploadSchema, bodyType: 'multipart/form-data', response: fileMetadataSchema }, async (c) => {
    return c.json(await deps.files.upload(tenant(c), requestBodyStream(c)));
  });
  route(app, { method: 'get', path: '/v1/files', summary: 'List files, newest first (scope_id: a session\'s outputs)', tag, query: fileListQuerySchema, response: filePageSchema }, async (c) => {
    return c.json(await deps.files.list(tenant(c), parseQuery(c, fileListQuerySchema, ['ids'])));
  });
  route(app, { method: 'get', path: item, summary: 'Retrieve file metadata', tag, response: fileMetadataSchema }, async (c) => {
    return c.json(await deps.files.get(tenant(c), id(c)));
  });
  route(app, { method: 'get', path: `${item}/content`, summary: 'Download a file\'s bytes', tag, responseType: 'application/octet-stream' }, async (c) => {
    const { file, stream } = await deps.files.open(tenant(c), id(c));
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: { 'content-type': file.mime_type, 'content-length': String(file.size_bytes), 'content-disposition': contentDisposition(file.filename) },
    });
  });
  route(app, { method: 'delete', path: item, summary: 'Delete a file', tag }, async (c) => {
    return c.json(await deps.files.delete(tenant(c), id(c)));
  });
}
