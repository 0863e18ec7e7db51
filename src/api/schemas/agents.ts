/** Agent wire schemas: the single source for validation, types and the OpenAPI document. */
import { z } from '@hono/zod-openapi';
import { metadataPatchSchema, metadataSchema, permissionPolicySchema } from './common.ts';

import { BUILTIN_TOOL_NAMES } from '../../tools/tool-names.ts';

const effortLevel = z.enum(['low', 'medium', 'high', 'xhigh', 'max']);
export const modelParamSchema = z.union([
  z.string().min(1).max(256),
  z.strictObject({
    id: z.string().min(1).max(256),
    speed: z.enum(['standard', 'fast']).nullable().optional(),
    // The SDK allows null for "the default"; the agent service only knows undefined as that.
    effort: z.union([effortLevel, z.strictObject({ type: effortLevel })]).nullable().optional().transform((v) => v ?? undefined),
    inference_geo: z.string().min(1).max(64).nullable().optional(),
  }),
]);

const domainList = z.array(z.string().min(1)).max(1000);
const urlSourceFilter = z.union([z.enum(['all', 'none']), z.looseObject({ type: z.enum(['all', 'none', 'only', 'except']) })]).nullable().optional();
const urlSourcesSchema = z.strictObject({ client_tool_results: urlSourceFilter, server_tool_results: urlSourceFilter, user_input: urlSourceFilter });
const userLocationSchema = z.strictObject({
  type: z.literal('approximate'),
  city: z.string().nullable().optional(),
  country: z.string().nullable().optional(),
  region: z.string().nullable().optional(),
  timezone: z.string().nullable().optional(),
});

/** Fields the SDK defines on the configs of some built-in tools only, and which tools those are. */
const TOOL_SPECIFIC_FIELDS = {
  allowed_domains: ['web_fetch', 'web_search'],
  blocked_domains: ['web_fetch', 'web_search'],
  max_content_tokens: ['web_fetch'],
  url_sources: ['web_fetch'],
  user_location: ['web_search'],
} as const;

const toolConfigSchema = z
  .strictObject({
    name: z.enum(BUILTIN_TOOL_NAMES),
    type: z.enum(BUILTIN_TOOL_NAMES).optional(),
    enabled: z.boolean().nullable().optional(),
    permission_policy: permissionPolicySchema.nullable().optional(),
    allowed_domains: domainList.optional(),
    blocked_domains: domainList.optional(),
    max_content_tokens: z.number().int().min(1).nullable().optional(),
    url_sources: urlSourcesSchema.nullable().optional(),
    user_location: userLocationSchema.nullable().optional(),
  })
  .superRefine((config, ctx) => {
    if (config.type !== undefined && config.type !== config.name) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: `must equal name ("${config.name}") or be omitted` });
    }
    for (const [field, tools] of Object.entries(TOOL_SPECIFIC_FIELDS)) {
      if (config[field as keyof typeof TOOL_SPECIFIC_FIELDS] !== undefined && !(tools as readonly string[]).includes(config.name)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `is only valid in the config of ${tools.join(' or ')}, not ${config.name}` });
      }
    }
  });

const defaultConfigSchema = z
  .strictObject({ enabled: z.boolean().nullable().optional(), permission_policy: permissionPolicySchema.nullable().optional() })
  .nullable()
  .optional();

export const agentToolsetSchema = z.strictObject({
  type: z.literal('agent_toolset_20260401'),
  default_config: defaultConfigSchema,
  configs: z.array(toolConfigSchema).max(8).nullable().optional(),
});

export const mcpToolsetSchema = z.strictObject({
  type: z.literal('mcp_toolset'),
  mcp_server_name: z.string().min(1).max(255),
  default_config: defaultConfigSchema,
  configs: z
    .array(z.strictObject({ name: z.string().min(1).max(128), enabled: z.boolean().nullable().optional(), permission_policy: permissionPolicySchema.nullable().optional() }))
    .nullable()
    .optional(),
});

export const customToolSchema = z.strictObject({
  type: z.literal('custom'),
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "_" and "-"'),
  description: z.string().min(1),
  // A JSON Schema: open-ended by nature (the SDK types it with an index signature), so not strict.
  input_schema: z.looseObject({ type: z.literal('object') }),
});

export const toolParamSchema = z.discriminatedUnion('type', [agentToolsetSchema, mcpToolsetSchema, customToolSchema]);
export const mcpServerSchema = z.strictObject({ type: z.literal('url'), name: z.string().min(1).max(255), url: z.string().url() });
export const skillParamSchema = z.strictObject({
  type: z.enum(['anthropic', 'custom']),
  skill_id: z.string().min(1),
  version: z.string().nullable().optional(),
});
export const executionIdentitySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('service_account') }),
  z.strictObject({ type: z.literal('aws_role'), role_arn: z.string().min(1).max(2048) }),
]);
/** The SDK's multiagent configuration: defined on the wire, not implemented here, so only null passes. */
const multiagentSchema = z.null({ error: 'multiagent orchestration is not supported by this server; omit multiagent or send null' }).optional();

export const agentCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(256),
    model: modelParamSchema,
    description: z.string().max(2048).nullable().optional(),
    system: z.string().max(100_000).nullable().optional(),
    tools: z.array(toolParamSchema).max(256).nullable().optional(),
    mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional(),
    skills: z.array(skillParamSchema).max(20).nullable().optional(),
    metadata: metadataSchema.optional(),
    multiagent: multiagentSchema,
    execution_identity: executionIdentitySchema.nullable().optional(),
  })
  .openapi('AgentCreate');

export const agentUpdateSchema = z
  .strictObject({
    version: z.number().int().min(1).optional(),
    name: z.string().min(1).max(256).optional(),
    model: modelParamSchema.optional(),
    description: z.string().max(2048).nullable().optional(),
    system: z.string().max(100_000).nullable().optional(),
    tools: z.array(toolParamSchema).max(256).nullable().optional(),
    mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional(),
    skills: z.array(skillParamSchema).max(20).nullable().optional(),
    metadata: metadataPatchSchema.nullable().optional(),
    multiagent: multiagentSchema,
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
