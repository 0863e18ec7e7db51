/**
 * DDL for deployments and deployment runs (migration 40). At most one run per (deployment,
 * scheduled slot) is enforced by the database: the unique index is what makes two instances that
 * both see a slot due record it once (manual runs have scheduled_at NULL, which never collides).
 */
export const DEPLOYMENTS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS deployments (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
     description TEXT, agent_id TEXT NOT NULL, agent_version INTEGER NOT NULL, environment_id TEXT NOT NULL,
     initial_events TEXT NOT NULL, resources TEXT NOT NULL, vault_ids TEXT NOT NULL, metadata TEXT NOT NULL,
     budget TEXT, schedule TEXT, status TEXT NOT NULL, paused_reason TEXT, next_fire_at BIGINT, last_run_at BIGINT,
     created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, archived_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS deployments_tenant ON deployments (tenant_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS deployments_due ON deployments (next_fire_at) WHERE next_fire_at IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS deployment_runs (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, deployment_id TEXT NOT NULL,
     agent_id TEXT NOT NULL, agent_version INTEGER NOT NULL, trigger_type TEXT NOT NULL, scheduled_at BIGINT,
     state TEXT NOT NULL, session_id TEXT, error TEXT, planned_session_id TEXT NOT NULL UNIQUE, planned_event_ids TEXT NOT NULL,
     claim_owner TEXT, claim_token BIGINT NOT NULL, claim_expires_at BIGINT, created_at BIGINT NOT NULL, completed_at BIGINT)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS deployment_runs_slot ON deployment_runs (deployment_id, scheduled_at)`,
  `CREATE INDEX IF NOT EXISTS deployment_runs_tenant ON deployment_runs (tenant_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS deployment_runs_deployment ON deployment_runs (deployment_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS deployment_runs_pending ON deployment_runs (claim_expires_at) WHERE state = 'pending'`,
];
