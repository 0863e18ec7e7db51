/** Environment wire schemas. */
import { z } from '@hono/zod-openapi';
import { metadataSchema } from './common.ts';

const pkgList = z.array(z.string().min(1)).nullable().optional();
export const packagesSchema = z.strictObject({
  type: z.literal('packages').optional(),
  apt: pkgList, cargo: pkgList, gem: pkgList, go: pkgList, npm: pkgList, pip: pkgList,
});
export const networkingSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('unrestricted') }),
  z.strictObject({
    type: z.literal('limited'),
    allowed_hosts: z.array(z.string().min(1)).nullable().optional(),
    allow_package_managers: z.boolean().nullable().optional(),
    allow_mcp_servers: z.boolean().nullable().optional(),
  }),
]);
export const envConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('cloud'), networking: networkingSchema.nullable().optional(), packages: packagesSchema.nullable().optional() }),
  z.strictObject({ type: z.literal('self_hosted') }),
]);

export const environmentCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(256),
    config: envConfigSchema.nullable().optional(),
    description: z.string().max(2048).nullable().optional(),
    metadata: metadataSchema.optional(),
    scope: z.enum(['organization', 'account']).nullable().optional(),
  })
  .openapi('EnvironmentCreate');

export const environmentUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(256).nullable().optional(),
    config: envConfigSchema.nullable().optional(),
    description: z.string().max(2048).nullable().optional(),
    metadata: z.record(z.string().min(1).max(64), z.string().max(512).nullable()).nullable().optional(),
    scope: z.enum(['organization', 'account']).nullable().optional(),
  })
  .openapi('EnvironmentUpdate');

export const environmentSchema = z
  .object({
    id: z.string(),
    type: z.literal('environment'),
    name: z.string(),
    description: z.string().nullable(),
    config: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.string()),
    scope: z.string().optional(),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
  })
  .openapi('Environment');

export type EnvironmentCreate = z.infer<typeof environmentCreateSchema>;
export type EnvironmentUpdate = z.infer<typeof environmentUpdateSchema>;
export type Environment = z.infer<typeof environmentSchema>;
export type EnvConfigParam = z.infer<typeof envConfigSchema>;
