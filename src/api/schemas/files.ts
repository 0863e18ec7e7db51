/** Files wire schemas (reference §2.12; SDK resources/beta/files.d.ts). */
import { z } from '@hono/zod-openapi';

export const MIN_EXPIRES_IN_SECONDS = 3600;
export const MAX_EXPIRES_IN_SECONDS = 7_776_000;
export const MAX_LIST_IDS = 100;

export const fileMetadataSchema = z
  .object({
    id: z.string(),
    type: z.literal('file'),
    filename: z.string(),
    mime_type: z.string(),
    size_bytes: z.number().int(),
    created_at: z.string(),
    downloadable: z.boolean(),
    expires_at: z.string().nullable(),
    scope: z.object({ type: z.literal('session'), id: z.string() }).nullable(),
  })
  .openapi('FileMetadata');

export const fileListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  page: z.string().min(1).optional(),
  scope_id: z.string().min(1).optional(),
  ids: z.array(z.string().min(1)).optional(),
  /** Legacy Page parameters (older SDKs): the ids bounding the page. */
  after_id: z.string().min(1).optional(),
  before_id: z.string().min(1).optional(),
});

export const filePageSchema = z
  .object({
    data: z.array(fileMetadataSchema),
    next_page: z.string().nullable(),
    has_more: z.boolean(),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
  })
  .openapi('FilePage');

export const fileUploadSchema = z
  .object({ file: z.string().openapi({ format: 'binary' }), expires_in_seconds: z.number().int().min(MIN_EXPIRES_IN_SECONDS).max(MAX_EXPIRES_IN_SECONDS).optional() })
  .openapi('FileUpload');

export type FileMetadata = z.infer<typeof fileMetadataSchema>;
export type FileListQuery = z.infer<typeof fileListQuerySchema>;
export type FilePage = z.infer<typeof filePageSchema>;
