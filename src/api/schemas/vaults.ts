/**
 * Vault and credential wire schemas (reference §2.7, §2.8, §7; the SDK's beta/vaults types).
 * Secret fields appear only in the create and update schemas: no response schema has them.
 */
import { z } from '@hono/zod-openapi';
import { metadataPatchSchema, metadataSchema } from './common.ts';

const httpUrl = z
  .string()
  .min(1)
  .max(2048)
  .refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), { message: 'must be an http:// or https:// URL' });
const secret = z.string().min(1).max(65_536);
const rfc3339 = z.string().refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an RFC 3339 timestamp' });

/** A bare hostname, an IPv4 address, or `*.example.com`; no scheme, port, path or IPv6. */
const allowedHost = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, {
    message: 'must be a bare hostname (api.example.com), an IPv4 address or a *.example.com wildcard; no scheme, port, path or IPv6',
  });
export const credentialNetworkingSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('unrestricted') }),
  z.strictObject({ type: z.literal('limited'), allowed_hosts: z.array(allowedHost).min(1).max(16) }),
]);
const injectionLocation = z.strictObject({ body: z.boolean().optional(), header: z.boolean().optional() });

const tokenEndpointAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('client_secret_basic'), client_secret: secret }),
  z.strictObject({ type: z.literal('client_secret_post'), client_secret: secret }),
]);

const staticBearerCreate = z.strictObject({ type: z.literal('static_bearer'), token: secret, mcp_server_url: httpUrl });
const mcpOauthCreate = z.strictObject({
  type: z.literal('mcp_oauth'),
  access_token: secret,
  mcp_server_url: httpUrl,
  expires_at: rfc3339.nullable().optional(),
  refresh: z
    .strictObject({
      client_id: z.string().min(1).max(1024),
      refresh_token: secret,
      token_endpoint: httpUrl,
      token_endpoint_auth: tokenEndpointAuth,
      resource: z.string().max(2048).nullable().optional(),
      scope: z.string().max(2048).nullable().optional(),
    })
    .nullable()
    .optional(),
});
const environmentVariableCreate = z.strictObject({
  type: z.literal('environment_variable'),
  secret_name: z.string().min(1).max(255).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)' }),
  secret_value: secret,
  networking: credentialNetworkingSchema,
  injection_location: injectionLocation.optional(),
});

export const credentialAuthCreateSchema = z.discriminatedUnion('type', [staticBearerCreate, mcpOauthCreate, environmentVariableCreate]);

const credentialAuthUpdateSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('static_bearer'), token: secret.nullable().optional() }),
  z.strictObject({
    type: z.literal('mcp_oauth'),
    access_token: secret.nullable().optional(),
    expires_at: rfc3339.nullable().optional(),
    refresh: z
      .strictObject({
        refresh_token: secret.nullable().optional(),
        scope: z.string().max(2048).nullable().optional(),
        token_endpoint_auth: z
          .discriminatedUnion('type', [
            z.strictObject({ type: z.literal('client_secret_basic'), client_secret: secret.nullable().optional() }),
            z.strictObject({ type: z.literal('client_secret_post'), client_secret: secret.nullable().optional() }),
          ])
          .optional(),
      })
      .nullable()
      .optional(),
  }),
  z.strictObject({
    type: z.literal('environment_variable'),
    secret_value: secret.nullable().optional(),
    networking: credentialNetworkingSchema.nullable().optional(),
    injection_location: injectionLocation.optional(),
  }),
]);

export const vaultCreateSchema = z.strictObject({ display_name: z.string().min(1).max(255), metadata: metadataSchema.optional() }).openapi('VaultCreate');
export const vaultUpdateSchema = z
  .strictObject({ display_name: z.string().min(1).max(255).nullable().optional(), metadata: metadataPatchSchema.nullable().optional() })
  .openapi('VaultUpdate');

export const vaultSchema = z
  .object({
    id: z.string(),
    type: z.literal('vault'),
    display_name: z.string(),
    metadata: z.record(z.string(), z.string()),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
  })
  .openapi('Vault');

export const credentialCreateSchema = z
  .strictObject({ auth: credentialAuthCreateSchema, display_name: z.string().max(255).nullable().optional(), metadata: metadataSchema.optional() })
  .openapi('CredentialCreate');
export const credentialUpdateSchema = z
  .strictObject({
    auth: credentialAuthUpdateSchema.optional(),
    display_name: z.string().min(1).max(255).nullable().optional(),
    metadata: metadataPatchSchema.nullable().optional(),
  })
  .openapi('CredentialUpdate');

/** The response `auth`: configuration only, never a token, secret value or client secret. */
export const credentialAuthSchema = z
  .object({
    type: z.enum(['static_bearer', 'mcp_oauth', 'environment_variable']),
    mcp_server_url: z.string().optional(),
    expires_at: z.string().nullable().optional(),
    refresh: z
      .object({
        client_id: z.string(),
        token_endpoint: z.string(),
        token_endpoint_auth: z.object({ type: z.enum(['none', 'client_secret_basic', 'client_secret_post']) }),
        resource: z.string().nullable().optional(),
        scope: z.string().nullable().optional(),
      })
      .nullable()
      .optional(),
    secret_name: z.string().optional(),
    networking: z.object({ type: z.enum(['unrestricted', 'limited']), allowed_hosts: z.array(z.string()).optional() }).optional(),
    injection_location: z.object({ body: z.boolean(), header: z.boolean() }).optional(),
  })
  .openapi('CredentialAuth');

export const credentialSchema = z
  .object({
    id: z.string(),
    type: z.literal('vault_credential'),
    vault_id: z.string(),
    display_name: z.string().nullable(),
    auth: credentialAuthSchema,
    metadata: z.record(z.string(), z.string()),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
  })
  .openapi('Credential');

const httpResponse = z.object({ status_code: z.number(), content_type: z.string(), body: z.string(), body_truncated: z.boolean() }).nullable();
export const credentialValidationSchema = z
  .object({
    type: z.literal('vault_credential_validation'),
    credential_id: z.string(),
    vault_id: z.string(),
    status: z.enum(['valid', 'invalid', 'unknown']),
    has_refresh_token: z.boolean(),
    mcp_probe: z.object({ method: z.string(), http_response: httpResponse }).nullable(),
    refresh: z.object({ status: z.enum(['succeeded', 'failed', 'connect_error', 'no_refresh_token']), http_response: httpResponse }).nullable(),
    validated_at: z.string(),
  })
  .openapi('CredentialValidation');

export type VaultCreate = z.infer<typeof vaultCreateSchema>;
export type VaultUpdate = z.infer<typeof vaultUpdateSchema>;
export type Vault = z.infer<typeof vaultSchema>;
export type CredentialCreate = z.infer<typeof credentialCreateSchema>;
export type CredentialUpdate = z.infer<typeof credentialUpdateSchema>;
export type CredentialAuthCreate = z.infer<typeof credentialAuthCreateSchema>;
export type CredentialAuthUpdate = NonNullable<CredentialUpdate['auth']>;
export type CredentialAuth = z.infer<typeof credentialAuthSchema>;
export type Credential = z.infer<typeof credentialSchema>;
export type CredentialValidation = z.infer<typeof credentialValidationSchema>;
