/** Agent wire schemas: the single source for validation, types and the OpenAPI document. */
import { z } from '@hono/zod-openapi';
import { metadataPatchSchema, metadataSchema, permissionPolicySchema } from './common.ts';

import { BUILTIN_TOOL_NAMES } from '../../tools/tool-names.ts';

const effortLevel = z.enum(['low', 'medium', 'high', 'xhigh', 'max']);
export const modelParamSchema = z.union([
  z.string().min(1).max(256),
  z.object({
    id: z.string().min(1).max(256),
    speed: z.enum(['standard', 'fast']).optional(),
    effort: z.union([effortLevel, z.object({ type: effortLevel })]).optional(),
    inference_geo: z.string().min(1).max(64).nullable().optional(),
  }),
]);

const toolConfigSchema = z.looseObject({
  name: z.enum(BUILTIN_TOOL_NAMES),
  type: z.enum(BUILTIN_TOOL_NAMES).optional(),
  enabled: z.boolean().nullable().optional(),
  permission_policy: permissionPolicySchema.nullable().optional(),
});

const defaultConfigSchema = z
  .object({ enabled: z.boolean().nullable().optional(), permission_policy: permissionPolicySchema.nullable().optional() })
  .nullable()
  .optional();

export const agentToolsetSchema = z.object({
  type: z.literal('agent_toolset_20260401'),
  default_config: defaultConfigSchema,
  configs: z.array(toolConfigSchema).max(8).nullable().optional(),
});

export const mcpToolsetSchema = z.object({
  type: z.literal('mcp_toolset'),
  mcp_server_name: z.string().min(1).max(255),
  default_config: defaultConfigSchema,
  configs: z
    .array(z.object({ name: z.string().min(1).max(128), enabled: z.boolean().nullable().optional(), permission_policy: permissionPolicySchema.nullable().optional() }))
    .nullable()
    .optional(),
});

export const customToolSchema = z.object({
  type: z.literal('custom'),
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "_" and "-"'),
  description: z.string().min(1),
  input_schema: z.looseObject({ type: z.literal('object') }),
});

export const toolParamSchema = z.discriminatedUnion('type', [agentToolsetSchema, mcpToolsetSchema, customToolSchema]);
export const mcpServerSchema = z.object({ type: z.literal('url'), name: z.string().min(1).max(255), url: z.string().url() });
export const skillParamSchema = z.object({
  type: z.enum(['anthropic', 'custom']),
  skill_id: z.string().min(1),
  version: z.string().nullable().optional(),
});
export const executionIdentitySchema = z.union([
  z.object({ type: z.literal('service_account') }),
  z.object({ type: z.literal('aws_role'), role_arn: z.string().min(1).max(2048) }),
]);

export const agentCreateSchema = z
  .object({
    name: z.string().min(1).max(256),
    model: modelParamSchema,
    description: z.string().max(2048).nullable().optional(),
    system: z.string().max(100_000).nullable().optional(),
    tools: z.array(toolParamSchema).max(256).nullable().optional(),
    mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional(),
    skills: z.array(skillParamSchema).max(20).nullable().optional(),
    metadata: metadataSchema.optional(),
    multiagent: z.null().optional(),
    execution_identity: executionIdentitySchema.nullable().optional(),
  })
  .openapi('AgentCreate');

export const agentUpdateSchema = z
  .object({
    version: z.number().int().min(1).optional(),
    name: z.string().min(1).max(256).optional(),
    model: modelParamSchema.optional(),
    description: z.string().max(2048).nullable().optional(),
    system: z.string().max(100_000).nullable().optional(),
    tools: z.array(toolParamSchema).max(256).nullable().optional(),
    mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional(),
    skills: z.array(skillParamSchema).max(20).nullable().optional(),
    metadata: metadataPatchSchema.nullable().optional(),
    multiagent: z.null().optional(),
    execution_identity: executionIdentitySchema.nullable().optional(),
  })
  .openapi('AgentUpdate');

export const agentSchema = z
  .object({
    id: z.string(),
    type: z.literal('agent'),
    name: z.string(),
    description: z.string().nullable(),
    system: z.string().nullable(),
    model: z.object({ id: z.string(), speed: z.string(), effort: z.object({ type: z.string() }), inference_geo: z.string().nullable().optional() }),
    tools: z.array(z.record(z.string(), z.unknown())),
    mcp_servers: z.array(mcpServerSchema),
    skills: z.array(z.object({ type: z.string(), skill_id: z.string(), version: z.string() })),
    metadata: z.record(z.string(), z.string()),
    multiagent: z.null(),
    execution_identity: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
  })
  .openapi('Agent');

export type AgentCreate = z.infer<typeof agentCreateSchema>;
export type AgentUpdate = z.infer<typeof agentUpdateSchema>;
export type Agent = z.infer<typeof agentSchema>;
export type ToolParam = z.infer<typeof toolParamSchema>;
export type ModelParam = z.infer<typeof modelParamSchema>;
/** The stored, resolved configuration of one agent version (everything but ids and timestamps). */
export type AgentConfig = Omit<Agent, 'id' | 'type' | 'version' | 'created_at' | 'updated_at' | 'archived_at'>;
