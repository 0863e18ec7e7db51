/** Memory store, memory and memory version wire schemas (reference §2.9–§2.11). */
import { z } from '@hono/zod-openapi';
import { metadataPatchSchema, metadataSchema } from './common.ts';

/** No C0/C1 control characters (names of stores). */
const noControl = (s: string) => !/[\u0000-\u001f\u007f-\u009f]/.test(s);

export const memoryStoreCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(255).refine(noControl, { message: 'must not contain control characters' }),
    description: z.string().max(1024).optional(),
    metadata: metadataSchema.optional(),
  })
  .openapi('MemoryStoreCreate');

export const memoryStoreUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(255).refine(noControl, { message: 'must not contain control characters' }).nullable().optional(),
    description: z.string().max(1024).nullable().optional(),
    metadata: metadataPatchSchema.nullable().optional(),
  })
  .openapi('MemoryStoreUpdate');

export const memoryStoreSchema = z
  .object({
    id: z.string(),
    type: z.literal('memory_store'),
    name: z.string(),
    description: z.string(),
    metadata: z.record(z.string(), z.string()),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
  })
  .openapi('MemoryStore');

/** Memory content: a string of at most 102,400 UTF-8 bytes (checked in the service, by bytes). */
export const memoryCreateSchema = z
  .strictObject({ path: z.string().min(1), content: z.string().nullable() })
  .openapi('MemoryCreate');

export const preconditionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('content_sha256'), content_sha256: z.string().optional() }),
]);

export const memoryUpdateSchema = z
  .strictObject({
    content: z.string().nullable().optional(),
    path: z.string().min(1).nullable().optional(),
    precondition: preconditionSchema.nullable().optional(),
  })
  .openapi('MemoryUpdate');

export const viewSchema = z.enum(['basic', 'full']).optional();

export const memorySchema = z
  .object({
    id: z.string(),
    type: z.literal('memory'),
    memory_store_id: z.string(),
    path: z.string(),
    content: z.string().nullable(),
    content_sha256: z.string(),
    content_size_bytes: z.number(),
    memory_version_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Memory');

export const memoryPrefixSchema = z.object({ type: z.literal('memory_prefix'), path: z.string() }).openapi('MemoryPrefix');

export const actorSchema = z
  .union([
    z.object({ type: z.literal('session_actor'), session_id: z.string() }),
    z.object({ type: z.literal('api_actor'), api_key_id: z.string() }),
    z.object({ type: z.literal('user_actor'), user_id: z.string() }),
  ])
  .openapi('Actor');

export const memoryVersionSchema = z
  .object({
    id: z.string(),
    type: z.literal('memory_version'),
    memory_id: z.string(),
    memory_store_id: z.string(),
    operation: z.enum(['created', 'modified', 'deleted']),
    path: z.string().nullable(),
    content: z.string().nullable(),
    content_sha256: z.string().nullable(),
    content_size_bytes: z.number().nullable(),
    created_at: z.string(),
    created_by: actorSchema.nullable(),
    redacted_at: z.string().nullable(),
    redacted_by: actorSchema.nullable(),
  })
  .openapi('MemoryVersion');

export type MemoryStoreCreate = z.infer<typeof memoryStoreCreateSchema>;
export type MemoryStoreUpdate = z.infer<typeof memoryStoreUpdateSchema>;
export type MemoryStore = z.infer<typeof memoryStoreSchema>;
export type MemoryCreate = z.infer<typeof memoryCreateSchema>;
export type MemoryUpdate = z.infer<typeof memoryUpdateSchema>;
export type Memory = z.infer<typeof memorySchema>;
export type MemoryPrefix = z.infer<typeof memoryPrefixSchema>;
export type MemoryVersion = z.infer<typeof memoryVersionSchema>;
export type Actor = z.infer<typeof actorSchema>;
export type MemoryView = 'basic' | 'full';
