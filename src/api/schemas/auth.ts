/** Wire schemas for API keys, tenants and the sign-in methods (our extensions to the API). */
import { z } from '@hono/zod-openapi';

export const apiKeySchema = z
  .object({
    id: z.string(),
    type: z.literal('api_key'),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to recognise it' }),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

export const apiKeyCreatedSchema = apiKeySchema.extend({ key: z.string().openapi({ description: 'The key itself — shown only in this response' }) }).openapi('ApiKeyCreated');

export const apiKeyCreateSchema = z.strictObject({ name: z.string().trim().min(1).max(128).optional() });

export const roleSchema = z.enum(['owner', 'member']);

export const tenantSchema = z.object({ id: z.string(), type: z.literal('tenant'), name: z.string(), role: roleSchema.nullable() }).openapi('Tenant');

export const meSchema = z
  .object({
    user: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
    tenant: tenantSchema,
    tenants: z.array(tenantSchema),
    via: z.enum(['api_key', 'session', 'auth_disabled']),
  })
  .openapi('Me');

export const memberSchema = z
  .object({ type: z.literal('member'), user_id: z.string(), email: z.string().nullable(), name: z.string().nullable(), role: roleSchema, created_at: z.string() })
  .openapi('Member');

export const memberAddSchema = z.strictObject({ email: z.string().trim().email(), role: roleSchema.default('member') });

export const invitationCreateSchema = memberAddSchema.openapi('InvitationCreate');

export const invitationSchema = z
  .object({
    type: z.literal('invitation'),
    id: z.string(),
    tenant_id: z.string(),
    tenant_name: z.string(),
    email: z.string(),
    role: roleSchema,
    status: z.enum(['pending', 'accepted', 'declined', 'revoked', 'expired']),
    created_at: z.string(),
    expires_at: z.string(),
    responded_at: z.string().nullable(),
  })
  .openapi('Invitation');

export const invitationListQuery = z.object({
  direction: z.enum(['received', 'sent']).optional().openapi({ description: 'received (default): pending invitations addressed to you; sent: every invitation of this tenant (owners)' }),
});

export const authInfoSchema = z
  .object({
    auth_disabled: z.boolean(),
    methods: z.object({ email_password: z.boolean(), email_otp_verification: z.boolean(), google: z.boolean() }),
    sign_up: z.boolean(),
  })
  .openapi('AuthInfo');
