/** Session wire schemas. */
import { z } from '@hono/zod-openapi';
import { metadataPatchSchema, metadataSchema } from './common.ts';
import { mcpServerSchema, modelParamSchema, skillParamSchema, toolParamSchema } from './agents.ts';
import { initialEventSchema } from './events.ts';
import { sessionResourceParamSchema } from './session-resources.ts';

export const agentRefSchema = z.union([
  z.string().min(1),
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('agent'), id: z.string().min(1), version: z.number().int().min(1).nullable().optional() }),
    z.strictObject({
      type: z.literal('agent_with_overrides'),
      id: z.string().min(1),
      version: z.number().int().min(1).nullable().optional(),
      model: modelParamSchema.optional(),
      system: z.string().max(100_000).nullable().optional(),
      tools: z.array(toolParamSchema).max(256).nullable().optional(),
      mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional(),
      skills: z.array(skillParamSchema).max(20).nullable().optional(),
    }),
  ]),
]);

/** A hard spend ceiling: `amount` in cents (minor units) as an integer string, USD only. */
export const budgetSchema = z
  .strictObject({
    type: z.literal('limit'),
    max_list_cost: z.strictObject({
      amount: z.string().regex(/^(0|[1-9][0-9]{0,14})$/, { message: 'must be an amount in cents as an integer string without leading zeros, e.g. "2500" for $25.00' }),
      currency: z.literal('USD', { message: 'only "USD" is supported' }),
    }),
  })
  .openapi('BudgetLimit');

export const sessionCreateSchema = z
  .strictObject({
    agent: agentRefSchema.optional(),
    environment_id: z.string().min(1).optional(),
    title: z.string().max(1024).nullable().optional(),
    metadata: metadataSchema.optional(),
    // Each kind is checked strictly here; the session service resolves ids, mount paths and URLs.
    resources: z.array(sessionResourceParamSchema).max(999).optional(),
    vault_ids: z.array(z.string().min(1)).max(64).optional(),
    initial_events: z.array(initialEventSchema).max(50).optional(),
    budget: budgetSchema.nullable().optional(),
  })
  .openapi('SessionCreate');

export const sessionUpdateSchema = z
  .strictObject({
    title: z.string().max(1024).nullable().optional(),
    metadata: metadataPatchSchema.nullable().optional(),
    agent: z.strictObject({ tools: z.array(toolParamSchema).max(256).nullable().optional(), mcp_servers: z.array(mcpServerSchema).max(20).nullable().optional() }).optional(),
    // Refused by the session service with its reason (create-only).
    vault_ids: z.unknown().optional(),
    budget: budgetSchema.nullable().optional(),
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
    budget: budgetSchema.nullable(),
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
export type Budget = z.infer<typeof budgetSchema>;
