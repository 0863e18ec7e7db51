/**
 * Webhook endpoint and delivery wire schemas (issue #23; payloads are the SDK's BetaWebhookEvent,
 * reference §9). `secret` (`whsec_…`) is in the create and rotate_secret responses only.
 */
import { z } from '@hono/zod-openapi';
import { WEBHOOK_EVENT_TYPES } from '../../lib/webhook-event-types.ts';

const webhookUrl = z
  .string()
  .min(1)
  .max(2048)
  .refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), { message: 'must be an http:// or https:// URL' })
  .refine((v) => !URL.canParse(v) || (new URL(v).username === '' && new URL(v).password === ''), { message: 'must not carry credentials (user:password@); authenticate deliveries with the signing secret' });

const eventType = z.string().refine((v) => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(v), {
  message: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
});
const eventTypes = z.array(eventType).max(WEBHOOK_EVENT_TYPES.length * 2);

export const webhookStatusSchema = z.enum(['enabled', 'disabled', 'auto_disabled']);

export const webhookSchema = z
  .object({
    id: z.string(),
    type: z.literal('webhook'),
    url: z.string(),
    event_types: z.array(z.string()).describe('Event types delivered to this endpoint; empty means all.'),
    description: z.string().nullable(),
    status: webhookStatusSchema.describe('enabled; disabled (by an update); auto_disabled (every delivery failed for days; see disabled_reason).'),
    disabled_reason: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Webhook');

export const webhookWithSecretSchema = webhookSchema
  .extend({ secret: z.string().describe('The Standard Webhooks signing secret (whsec_…). Shown only in this response.') })
  .openapi('WebhookWithSecret');

export const webhookCreateSchema = z
  .strictObject({
    url: webhookUrl,
    event_types: eventTypes.optional(),
    description: z.string().max(512).nullable().optional(),
  })
  .openapi('WebhookCreate');

export const webhookUpdateSchema = z
  .strictObject({
    url: webhookUrl.optional(),
    event_types: eventTypes.optional(),
    description: z.string().max(512).nullable().optional(),
    status: z.enum(['enabled', 'disabled']).optional(),
  })
  .openapi('WebhookUpdate');

export const webhookAttemptSchema = z.object({
  attempt: z.number().int(),
  trigger: z.enum(['automatic', 'redeliver']),
  started_at: z.string(),
  duration_ms: z.number().int(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
});

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    type: z.literal('webhook_delivery'),
    webhook_id: z.string(),
    event_id: z.string().describe('The payload id and webhook-id header; the same on every attempt.'),
    event_type: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempt_count: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
    attempts: z.array(webhookAttemptSchema),
  })
  .openapi('WebhookDelivery');

export type Webhook = z.infer<typeof webhookSchema>;
export type WebhookWithSecret = z.infer<typeof webhookWithSecretSchema>;
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;
export type WebhookUpdate = z.infer<typeof webhookUpdateSchema>;
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;
