/** Model card wire schemas: the single source for validation, types and the OpenAPI document. */
import { z } from '@hono/zod-openapi';

export const MODEL_PROVIDERS = ['anthropic', 'openai'] as const;
export const MAX_CARD_MODELS = 100;
export const MAX_CARD_HEADERS = 32;

/** Headers the HTTP client owns; a card may not set them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'accept-encoding']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const baseUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
    } catch {
      return false;
    }
  }, { message: 'must be an http:// or https:// URL without credentials, query or fragment, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1' });

const modelsSchema = z
  .array(z.string().min(1).max(256))
  .min(1, { message: 'must list at least one model id this card serves' })
  .max(MAX_CARD_MODELS)
  .refine((models) => new Set(models).size === models.length, { message: 'lists a model id twice' });

const headersSchema = z
  .record(
    z.string().min(1).max(128).regex(HEADER_NAME, { message: 'is not a valid HTTP header name' })
      .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), { message: 'is set by the HTTP client and cannot be configured' }),
    z.string().max(8192).refine((value) => !/[\r\n\0]/.test(value), { message: 'must not contain CR, LF or NUL' }),
  )
  .refine((headers) => Object.keys(headers).length <= MAX_CARD_HEADERS, { message: `at most ${MAX_CARD_HEADERS} headers` })
  .refine((headers) => new Set(Object.keys(headers).map((k) => k.toLowerCase())).size === Object.keys(headers).length, { message: 'names a header twice (header names are case-insensitive)' });

export const pricesSchema = z
  .strictObject({
    input_per_mtok: z.number().min(0).max(1_000_000),
    output_per_mtok: z.number().min(0).max(1_000_000),
  })
  .openapi('ModelPrices');

const apiKeySchema = z.string().min(1).max(8192);

export const modelCardCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(256),
    provider: z.enum(MODEL_PROVIDERS),
    base_url: baseUrlSchema,
    api_key: apiKeySchema,
    models: modelsSchema,
    is_default: z.boolean().optional(),
    headers: headersSchema.nullable().optional(),
    prices: pricesSchema.nullable().optional(),
  })
  .openapi('ModelCardCreate');

export const modelCardUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(256).optional(),
    provider: z.enum(MODEL_PROVIDERS).optional(),
    base_url: baseUrlSchema.optional(),
    api_key: apiKeySchema.optional(),
    models: modelsSchema.optional(),
    is_default: z.boolean().optional(),
    headers: headersSchema.nullable().optional(),
    prices: pricesSchema.nullable().optional(),
  })
  .openapi('ModelCardUpdate');

export const modelCardSchema = z
  .object({
    id: z.string(),
    type: z.literal('model_card'),
    name: z.string(),
    provider: z.enum(MODEL_PROVIDERS),
    base_url: z.string(),
    models: z.array(z.string()),
    is_default: z.boolean(),
    /** Header names only; every value is sealed and shown as "<sealed>". */
    headers: z.record(z.string(), z.string()),
    prices: pricesSchema.nullable(),
    api_key_hint: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('ModelCard');

export const modelCardDeletedSchema = z.object({ id: z.string(), type: z.literal('model_card_deleted') }).openapi('ModelCardDeleted');

export type ModelProvider = (typeof MODEL_PROVIDERS)[number];
export type ModelCardCreate = z.infer<typeof modelCardCreateSchema>;
export type ModelCardUpdate = z.infer<typeof modelCardUpdateSchema>;
export type ModelCard = z.infer<typeof modelCardSchema>;
export type ModelPrices = z.infer<typeof pricesSchema>;
