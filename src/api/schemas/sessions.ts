/** Session wire schemas. */
import { z } from '@hono/zod-openapi';
import { metadataPatchSchema, metadataSchema } from './common.ts';
import { mcpServerSchema, modelParamSchema, skillParamSchema, toolParamSchema } from './agents.ts';
import { userMessageSchema } from './events.ts';

export const agentRefSchema = z.union([
  z.string().min(1),
  z.object({ type: z.literal('agent'), id: z.string().min(1), version: z.number().int().min(1).nullable().optional() }),
  z.object({
    type: z.literal('agent_with_overrides'),
    id: z.string().min(1),
    version: z.number().int().min(1).nullable().optional(),
    model: modelParamSchema.optional(),
    system: z.string().max(100_000).nullable().optional(),
    tools: z.array(toolParamSchema).max(256).nullable().optional(),
    mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional(),
    skills: z.array(skillParamSchema).max(20).nullable().optional(),
  }),
]);

export const sessionCreateSchema = z
  .object({
    agent: agentRefSchema.optional(),
    environment_id: z.string().min(1).optional(),
    title: z.string().max(1024).nullable().optional(),
    metadata: metadataSchema.optional(),
    resources: z.array(z.looseObject({ type: z.string() })).max(999).optional(),
    vault_ids: z.array(z.string().min(1)).max(64).optional(),
    initial_events: z.array(userMessageSchema).max(50).optional(),
    budget: z.unknown().optional(),
  })
  .openapi('SessionCreate');

export const sessionUpdateSchema = z
  .object({
    title: z.string().max(1024).nullable().optional(),
    metadata: metadataPatchSchema.nullable().optional(),
    agent: z.object({ tools: z.array(toolParamSchema).max(256).nullable().optional(), mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional() }).optional(),
    vault_ids: z.unknown().optional(),
    budget: z.unknown().optional(),
  })
  .openapi('SessionUpdate');

export const sessionSchema = z
  .object({
    id: z.string(),
    type: z.literal('session'),
    status: z.enum(['rescheduling', 'running', 'idle', 'terminated']),
    title: z.string().nullable(),
    agent: z.record(z.string(), z.unknown()).nullable(),
    environment_id: z.string(),
    resources: z.array(z.unknown()),
    vault_ids: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    budget: z.null(),
    outcome_evaluations: z.array(z.unknown()),
    stats: z.object({ active_seconds: z.number(), duration_seconds: z.number() }),
    usage: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
  })
  .openapi('Session');

export type SessionCreate = z.infer<typeof sessionCreateSchema>;
export type SessionUpdate = z.infer<typeof sessionUpdateSchema>;
export type Session = z.infer<typeof sessionSchema>;
export type SessionStatus = Session['status'];
