/** Session resource wire schemas (reference §2.6): params at session create, and resource objects. */
import { z } from '@hono/zod-openapi';

export const MAX_MEMORY_STORES_PER_SESSION = 8;

export const memoryStoreResourceParamSchema = z.strictObject({
  type: z.literal('memory_store'),
  memory_store_id: z.string().min(1),
  access: z.enum(['read_write', 'read_only']).nullable().optional(),
  instructions: z.string().max(4096).nullable().optional(),
});

export const MAX_FILES_PER_SESSION = 999;

/** An absolute path inside the sandbox, without `.`/`..` segments. */
export const mountPathSchema = z
  .string()
  .min(2)
  .max(1024)
  .refine((p) => p.startsWith('/') && !p.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..'), { message: 'must be an absolute path without empty, "." or ".." segments' });

export const fileResourceParamSchema = z.strictObject({
  type: z.literal('file'),
  file_id: z.string().min(1),
  mount_path: mountPathSchema.nullable().optional(),
});

/** Repositories are refused by the session service (not supported yet), by name. */
export const sessionResourceParamSchema = z.discriminatedUnion('type', [
  memoryStoreResourceParamSchema,
  fileResourceParamSchema,
  z.looseObject({ type: z.literal('github_repository') }),
]);

export const fileResourceSchema = z
  .object({ id: z.string(), type: z.literal('file'), file_id: z.string(), mount_path: z.string(), created_at: z.string(), updated_at: z.string() })
  .openapi('FileResource');

export const memoryStoreResourceSchema = z
  .object({
    /** Ours: the SDK type has no id; `resources.retrieve` also accepts the memory_store_id. */
    id: z.string(),
    type: z.literal('memory_store'),
    memory_store_id: z.string(),
    access: z.enum(['read_write', 'read_only']),
    instructions: z.string().nullable(),
    name: z.string(),
    description: z.string(),
    mount_path: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('MemoryStoreResource');

export const resourceAddSchema = z.looseObject({ type: z.string() }).openapi('SessionResourceAdd');
export const resourceUpdateSchema = z.strictObject({ authorization_token: z.string().min(1) }).openapi('SessionResourceUpdate');

export const sessionResourceSchema = z.discriminatedUnion('type', [fileResourceSchema, memoryStoreResourceSchema]).openapi('SessionResource');

export type SessionResourceParam = z.infer<typeof sessionResourceParamSchema>;
export type FileResourceParam = z.infer<typeof fileResourceParamSchema>;
export type FileResource = z.infer<typeof fileResourceSchema>;
export type SessionResource = z.infer<typeof sessionResourceSchema>;
export type MemoryStoreResourceParam = z.infer<typeof memoryStoreResourceParamSchema>;
export type MemoryStoreResource = z.infer<typeof memoryStoreResourceSchema>;
