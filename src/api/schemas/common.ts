/** Wire pieces shared by several resources. */
import { z } from '@hono/zod-openapi';

export const MAX_METADATA_PAIRS = 16;

/** `{string: string}`, ≤ 16 pairs, key 1–64 chars, value ≤ 512 chars. */
export const metadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= MAX_METADATA_PAIRS, { message: `at most ${MAX_METADATA_PAIRS} metadata pairs` })
  .openapi('Metadata');

/** Update form: a string upserts, null (or "" where allowed) deletes, omitted keys are kept. */
export const metadataPatchSchema = z.record(z.string().min(1).max(64), z.string().max(512).nullable());

export const errorEnvelopeSchema = z
  .object({
    type: z.literal('error'),
    error: z.object({ type: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
    request_id: z.string(),
  })
  .openapi('ErrorEnvelope');

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  page: z.string().min(1).optional(),
});

export const includeArchivedSchema = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

export const permissionPolicySchema = z.strictObject({ type: z.enum(['always_allow', 'always_ask', 'auto']) });

/** Body of routes that take none (archive): empty or `{}`; any field is an unknown field. */
export const emptyBodySchema = z.strictObject({});

export function pageOf<T extends z.ZodTypeAny>(item: T, name: string) {
  return z.object({ data: z.array(item), next_page: z.string().nullable() }).openapi(name);
}
