/** Deployment and deployment-run rows → the SDK's wire objects. */
import type { DeploymentRunTable, DeploymentTable } from '../store/schema.ts';
import { parseJson } from '../store/json.ts';
import { toIso } from '../lib/time.ts';
import type { Deployment, DeploymentRun, DeploymentRunError } from '../api/schemas/deployments.ts';
import { slotsAfter, type ScheduleSpec } from './cron-schedule.ts';

/** How many upcoming slots `schedule.upcoming_runs_at` lists (the SDK says up to 5). */
const UPCOMING = 5;

/**
 * The schedule's next slots from `now`; [] when croner no longer takes the stored schedule (a
 * timezone an upgraded timezone database dropped: create and update validate, so only stored data
 * gets here). The deployment is still readable, with `onScheduleError` told why (the service logs a
 * warning), rather than every GET and list of the tenant's deployments failing with a 500.
 */
function upcomingRuns(spec: ScheduleSpec, now: number, onScheduleError?: (err: unknown) => void): string[] {
  try {
    return slotsAfter(spec, now, UPCOMING).map((t) => toIso(t));
  } catch (err) {
    onScheduleError?.(err);
    return [];
  }
}

export function toDeployment(row: DeploymentTable, now: number, onScheduleError?: (err: unknown) => void): Deployment {
  const spec = parseJson<ScheduleSpec | null>(row.schedule, 'deployments.schedule');
  const out: Deployment = {
    id: row.id,
    type: 'deployment',
    name: row.name,
    description: row.description,
    agent: { id: row.agent_id, type: 'agent', version: Number(row.agent_version) },
    environment_id: row.environment_id,
    initial_events: parseJson(row.initial_events, 'deployments.initial_events'),
    resources: parseJson(row.resources, 'deployments.resources'),
    vault_ids: parseJson(row.vault_ids, 'deployments.vault_ids'),
    metadata: parseJson(row.metadata, 'deployments.metadata'),
    schedule: spec && {
      type: 'cron',
      expression: spec.expression,
      timezone: spec.timezone,
      last_run_at: toIso(row.last_run_at === null ? null : Number(row.last_run_at)),
      // Empty once archived; for active and paused ones, what the schedule would do from now.
      upcoming_runs_at: row.archived_at !== null ? [] : upcomingRuns(spec, now, onScheduleError),
    },
    // Archived deployments report active with archived_at set (SDK).
    status: row.archived_at !== null ? 'active' : (row.status as Deployment['status']),
    paused_reason: row.archived_at !== null ? null : parseJson(row.paused_reason, 'deployments.paused_reason'),
    created_at: toIso(Number(row.created_at)),
    updated_at: toIso(Number(row.updated_at)),
    archived_at: toIso(row.archived_at === null ? null : Number(row.archived_at)),
  };
  if (row.budget !== null) out.budget = parseJson(row.budget, 'deployments.budget');
  return out;
}

export function toDeploymentRun(row: DeploymentRunTable): DeploymentRun {
  return {
    id: row.id,
    type: 'deployment_run',
    deployment_id: row.deployment_id,
    agent: { id: row.agent_id, type: 'agent', version: Number(row.agent_version) },
    session_id: row.state === 'succeeded' ? row.session_id : null,
    error: row.state === 'failed' ? parseJson<DeploymentRunError>(row.error, 'deployment_runs.error') : null,
    trigger_context: row.trigger_type === 'schedule' && row.scheduled_at !== null
      ? { type: 'schedule', scheduled_at: toIso(Number(row.scheduled_at)) }
      : { type: 'manual' },
    created_at: toIso(Number(row.created_at)),
  };
}
