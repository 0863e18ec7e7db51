/** The deployment and deployment-run wire shapes the Console reads (SDK `beta.deployments`, `beta.deploymentRuns`). */
export interface Deployment {
  id: string;
  name: string;
  description: string | null;
  agent: { id: string; type: 'agent'; version: number };
  environment_id: string;
  initial_events: { type: string; content?: { type: string; text?: string }[] }[];
  schedule: { type: 'cron'; expression: string; timezone: string; last_run_at: string | null; upcoming_runs_at: string[] } | null;
  status: 'active' | 'paused';
  paused_reason: { type: 'manual' } | { type: 'error'; error: { type: string } } | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface DeploymentRun {
  id: string;
  deployment_id: string;
  agent: { id: string; version: number };
  session_id: string | null;
  error: { type: string; message: string } | null;
  trigger_context: { type: 'manual' } | { type: 'schedule'; scheduled_at: string };
  created_at: string;
}

export const deploymentsKey = ['deployments'] as const;
export const runsKey = (deploymentId: string) => ['deployments', deploymentId, 'runs'] as const;

export function pausedWhy(d: Deployment): string {
  if (!d.paused_reason) return '';
  return d.paused_reason.type === 'manual' ? 'paused by hand' : `paused after a failed run (${d.paused_reason.error.type})`;
}
