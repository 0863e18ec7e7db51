/** Session resource wire schemas (reference §2.6): params at session create, and resource objects. */
import { z } from '@hono/zod-openapi';

export const MAX_MEMORY_STORES_PER_SESSION = 8;

export const memoryStoreResourceParamSchema = z.strictObject({
  type: z.literal('memory_store'),
  memory_store_id: z.string().min(1),
  access: z.enum(['read_write', 'read_only']).nullable().optional(),
  instructions: z.string().max(4096).nullable().optional(),
});

/** Files and repositories are refused by the session service (not supported yet), by name. */
export const sessionResourceParamSchema = z.discriminatedUnion('type', [
  memoryStoreResourceParamSchema,
  z.looseObject({ type: z.literal('file') }),
  z.looseObject({ type: z.literal('github_repository') }),
]);

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

export type SessionResourceParam = z.infer<typeof sessionResourceParamSchema>;
export type MemoryStoreResourceParam = z.infer<typeof memoryStoreResourceParamSchema>;
export type MemoryStoreResource = z.infer<typeof memoryStoreResourceSchema>;
