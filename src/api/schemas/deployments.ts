/** Deployment and deployment-run wire schemas (SDK 1.15 `beta.deployments`, `beta.deploymentRuns`). */
import { z } from '@hono/zod-openapi';
import { metadataPatchSchema, metadataSchema } from './common.ts';
import { deploymentInitialEventSchema } from './events.ts';
import { sessionResourceParamSchema } from './session-resources.ts';
import { budgetSchema } from './sessions.ts';

/** `agent`: an id (pins the latest version) or `{type: "agent", id, version?}`. */
export const deploymentAgentParamSchema = z.union([
  z.string().min(1),
  z.strictObject({ type: z.literal('agent'), id: z.string().min(1), version: z.number().int().min(1).optional() }),
]);

export const scheduleParamSchema = z
  .strictObject({
    type: z.literal('cron'),
    expression: z.string().min(1, 'expression must not be empty; use 5 fields such as "0 9 * * 1-5"').max(256),
    timezone: z.string({ error: 'timezone is required; use an IANA name such as "UTC" or "America/Los_Angeles"' }).max(128),
  })
  .openapi('DeploymentScheduleParams');

const initialEvents = z.array(deploymentInitialEventSchema).min(1, 'initial_events must have at least 1 event').max(50);
const resources = z.array(sessionResourceParamSchema).max(500);
const vaultIds = z.array(z.string().min(1)).max(50);

export const deploymentCreateSchema = z
  .strictObject({
    agent: deploymentAgentParamSchema,
    environment_id: z.string().min(1),
    initial_events: initialEvents,
    name: z.string().min(1, 'name must not be empty').max(256),
    budget: budgetSchema.nullable().optional(),
    description: z.string().max(2048).nullable().optional(),
    metadata: metadataSchema.optional(),
    resources: resources.optional(),
    schedule: scheduleParamSchema.nullable().optional(),
    vault_ids: vaultIds.optional(),
  })
  .openapi('DeploymentCreate');

export const deploymentUpdateSchema = z
  .strictObject({
    agent: deploymentAgentParamSchema.optional(),
    budget: budgetSchema.nullable().optional(),
    description: z.string().max(2048).nullable().optional(),
    environment_id: z.string().min(1).optional(),
    initial_events: initialEvents.optional(),
    metadata: metadataPatchSchema.nullable().optional(),
    name: z.string().min(1, 'name must not be empty').max(256).optional(),
    resources: resources.nullable().optional(),
    schedule: scheduleParamSchema.nullable().optional(),
    vault_ids: vaultIds.nullable().optional(),
  })
  .openapi('DeploymentUpdate');

const runErrorTypes = [
  'environment_archived_error', 'agent_archived_error', 'environment_not_found_error', 'vault_not_found_error', 'vault_archived_error',
  'file_not_found_error', 'memory_store_archived_error', 'skill_not_found_error', 'session_resource_not_found_error',
  'workspace_archived_error', 'organization_disabled_error', 'session_rate_limited_error', 'session_creation_rejected_error',
  'unknown_error', 'self_hosted_resources_unsupported_error', 'mcp_egress_blocked_error',
] as const;
export type RunErrorType = (typeof runErrorTypes)[number];

export const deploymentSchema = z
  .object({
    id: z.string(),
    type: z.literal('deployment'),
    name: z.string(),
    description: z.string().nullable(),
    agent: z.object({ id: z.string(), type: z.literal('agent'), version: z.number() }),
    environment_id: z.string(),
    initial_events: z.array(z.record(z.string(), z.unknown())),
    resources: z.array(z.record(z.string(), z.unknown())),
    vault_ids: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    budget: budgetSchema.nullable().optional(),
    schedule: z.object({
      type: z.literal('cron'), expression: z.string(), timezone: z.string(),
      last_run_at: z.string().nullable(), upcoming_runs_at: z.array(z.string()),
    }).nullable(),
    status: z.enum(['active', 'paused']),
    paused_reason: z.union([z.object({ type: z.literal('manual') }), z.object({ type: z.literal('error'), error: z.object({ type: z.string() }) })]).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    archived_at: z.string().nullable(),
  })
  .openapi('Deployment');

export const deploymentRunSchema = z
  .object({
    id: z.string(),
    type: z.literal('deployment_run'),
    deployment_id: z.string(),
    agent: z.object({ id: z.string(), type: z.literal('agent'), version: z.number() }),
    session_id: z.string().nullable(),
    error: z.object({ type: z.enum(runErrorTypes), message: z.string() }).nullable(),
    trigger_context: z.union([z.object({ type: z.literal('schedule'), scheduled_at: z.string() }), z.object({ type: z.literal('manual') })]),
    created_at: z.string(),
  })
  .openapi('DeploymentRun');

export type DeploymentCreate = z.infer<typeof deploymentCreateSchema>;
export type DeploymentUpdate = z.infer<typeof deploymentUpdateSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentRun = z.infer<typeof deploymentRunSchema>;
export type DeploymentRunError = NonNullable<DeploymentRun['error']>;
