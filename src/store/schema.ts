/**
 * Row types of every table, as Kysely sees them. TEXT ids, BIGINT epoch-ms timestamps and JSON in
 * TEXT columns on both dialects, so a SQLite dump imports into Postgres unchanged. Each table's
 * row ↔ wire mapping lives in one mapper next to its repository.
 */
import type { Generated } from 'kysely';

export interface TenantTable { id: string; name: string; created_at: number }
export interface MembershipTable { tenant_id: string; user_id: string; role: string; created_at: number }
/** An owner's invitation of an email address into a tenant; the invitee accepts or declines it. */
export interface InvitationTable {
  id: string; tenant_id: string; email: string; role: string; invited_by: string | null;
  status: string; created_at: number; expires_at: number; responded_at: number | null;
}
/** Which outside uid a bwrap session runs as; released when the session is deleted. */
export interface SandboxUidTable { uid: number; session_id: string; allocated_at: number }
/** A session's remote sandbox (migration 50); `sandbox_id` is null while `state` is 'creating'. */
export interface RemoteSandboxTable {
  session_id: string; provider: string; sandbox_id: string | null; tenant_id: string; deployment_id: string;
  instance_id: string; state: string; created_at: number; last_used_at: number;
}
export interface ApiKeyTable {
  id: string; tenant_id: string; name: string; prefix: string; key_hash: string;
  created_by: string | null; created_at: number; last_used_at: number | null; revoked_at: number | null;
}
export interface AgentTable {
  id: string; tenant_id: string; name: string; version: number;
  created_at: number; updated_at: number; archived_at: number | null;
}
export interface AgentVersionTable { agent_id: string; version: number; tenant_id: string; config: string; created_at: number }
export interface EnvironmentTable {
  id: string; tenant_id: string; name: string; description: string | null; config: string; metadata: string;
  scope: string | null; is_default: number; created_at: number; updated_at: number; archived_at: number | null;
}
export interface SessionTable {
  id: string; tenant_id: string; agent_id: string | null; agent_version: number | null; agent: string | null;
  environment_id: string; title: string | null; metadata: string; vault_ids: string; resources: string;
  status: string; last_seq: number; usage: string; active_ms: number;
  created_at: number; updated_at: number; archived_at: number | null; turn_id: string | null;
  /** JSON: the environment's config at session create; null on sessions created before migration 5. */
  environment_config: string | null;
  /**
   * JSON: the session's budget (`{type:"limit", max_list_cost}`), the JSON `null` once removed
   * (it cannot be added again), SQL NULL when it never had one (migration 23). Optional here so
   * rows written without it (older code paths, fixtures) mean "never had one".
   */
  budget?: string | null;
}
export interface SessionEventTable {
  session_id: string; seq: number; id: string; tenant_id: string; type: string; payload: string;
  processed_at: number | null; created_at: number;
}
export interface SessionLeaseTable { session_id: string; owner: string; token: number; expires_at: number }
/** `api_key` and `headers` hold SecretBox values (`sb1.…`), never plaintext; `headers` seals a JSON object. */
export interface ModelCardTable {
  id: string; tenant_id: string; name: string; provider: string; base_url: string;
  api_key: string; api_key_hint: string; models: string; is_default: number; headers: string | null; prices: string | null;
  created_at: number; updated_at: number;
}
/** Which card serves which model id: at most one card per (tenant, model). */
export interface ModelCardModelTable { tenant_id: string; model: string; card_id: string }
export interface VaultTable {
  id: string; tenant_id: string; display_name: string; metadata: string;
  created_at: number; updated_at: number; archived_at: number | null;
}
export interface VaultCredentialTable {
  id: string; tenant_id: string; vault_id: string; display_name: string | null; metadata: string;
  /** static_bearer | mcp_oauth | environment_variable (immutable). */
  auth_type: string;
  /** JSON: the wire `auth` object, without secrets. */
  auth: string;
  /** The secret fields as JSON, sealed by vault/secret-box.ts (sb1.…). */
  secret: string;
  created_at: number; updated_at: number; archived_at: number | null;
}
export interface PlatformMetaTable { key: string; value: string }
export interface SchemaMigrationTable { version: number; name: string; applied_at: number }

export interface MemoryStoreTable {
  id: string; tenant_id: string; name: string; description: string; metadata: string;
  created_at: number; updated_at: number; archived_at: number | null;
}
/** The current state of each memory; its content is the blob named by content_sha256. */
export interface MemoryTable {
  id: string; tenant_id: string; memory_store_id: string; path: string; content_sha256: string;
  content_size_bytes: number; memory_version_id: string; created_at: number; updated_at: number;
}
/** One row per change; path/content_* are null when redacted (content_* also on deletes). */
export interface MemoryVersionTable {
  id: string; tenant_id: string; memory_store_id: string; memory_id: string; operation: string;
  path: string | null; content_sha256: string | null; content_size_bytes: number | null; created_at: number;
  /** JSON actor, or null when no author is known (AUTH_DISABLED). */
  created_by: string | null; session_id: string | null; api_key_id: string | null;
  redacted_at: number | null; redacted_by: string | null;
}

export interface SessionMemoryStoreTable { session_id: string; memory_store_id: string; tenant_id: string; created_at: number }

/** An uploaded or agent-produced file; its bytes are the blob `sha256` in the files blob store. */
export interface FileTable {
  id: string; tenant_id: string; filename: string; mime_type: string; size_bytes: number; sha256: string;
  /** 1 or 0 (an integer on both backends). */
  downloadable: number; scope_type: string | null; scope_id: string | null; created_at: number; expires_at: number | null;
}

/** An output file of a session (path relative to /mnt/session/outputs) that became the File `file_id`. */
export interface SessionOutputTable { session_id: string; path: string; sha256: string; tenant_id: string; file_id: string; created_at: number }

/** A custom skill; `name` is the immutable slug of its first version, `latest_version` its newest version. */
export interface SkillTable {
  id: string; tenant_id: string; display_name: string; name: string; latest_version: string; created_at: number; updated_at: number;
}
export interface SkillVersionTable { skill_id: string; version: string; tenant_id: string; name: string; description: string; created_at: number }
/** One file of a skill version (path relative to the skill's directory); bytes in the files blob store. */
export interface SkillVersionFileTable { skill_id: string; version: string; path: string; sha256: string; size_bytes: number }

/** A webhook endpoint; `secret`/`previous_secret` are SecretBox values; `event_types` a JSON array (empty = all). */
export interface WebhookTable {
  id: string; tenant_id: string; url: string; description: string | null; event_types: string;
  status: string; disabled_reason: string | null; secret: string; previous_secret: string | null;
  previous_secret_expires_at: number | null; failing_since: number | null; lease_owner: string | null; lease_until: number | null;
  created_at: number; updated_at: number;
}
/** One webhook event: `data` is the JSON `data` object of the payload; session events name their log row. */
export interface WebhookEventTable {
  id: string; tenant_id: string; type: string; data: string; session_id: string | null; session_seq: number | null; created_at: number;
}
/** One event for one endpoint: state `pending` | `delivered` | `failed`; `event_order` orders events of one instant (session seq). */
export interface WebhookDeliveryTable {
  id: string; tenant_id: string; webhook_id: string; event_id: string; event_type: string; event_created_at: number; event_order: number;
  state: string; attempts: number; next_attempt_at: number | null; last_attempt_at: number | null; last_status_code: number | null;
  last_error: string | null; delivered_at: number | null; created_at: number; updated_at: number;
  /** Set by a redeliver request until its attempt is recorded (migration 46; optional for rows written before). */
  redeliver_requested_at?: number | null;
}
/** One HTTP attempt of a delivery; `kind` is `automatic` or `redeliver`. */
export interface WebhookDeliveryAttemptTable {
  delivery_id: string; attempt: number; tenant_id: string; kind: string; started_at: number; duration_ms: number;
  status_code: number | null; error: string | null;
}
/** How far the webhook dispatcher has read a session's log (its events up to `seq` are fanned out). */
export interface WebhookSessionCursorTable { session_id: string; tenant_id: string; seq: number; updated_at: number }
/**
 * A deployment (issue 23): what each run's session is made of, its optional cron schedule, and the
 * scheduler's bookkeeping. `next_fire_at` is the next scheduled slot not yet claimed (null: no
 * schedule, or archived); an instance claims a slot by moving it forward with a compare-and-set.
 */
export interface DeploymentTable {
  id: string; tenant_id: string; name: string; description: string | null;
  agent_id: string; agent_version: number; environment_id: string;
  initial_events: string; resources: string; vault_ids: string; metadata: string; budget: string | null;
  schedule: string | null; status: string; paused_reason: string | null;
  next_fire_at: number | null; last_run_at: number | null;
  created_at: number; updated_at: number; archived_at: number | null;
}
/**
 * One run of a deployment. `pending` while claimed (claim_owner holds it until claim_expires_at,
 * claim_token fences a takeover); the session id and initial event ids are chosen at claim time,
 * so a run taken over after a crash creates the same session and events, or finds them made.
 */
export interface DeploymentRunTable {
  id: string; tenant_id: string; deployment_id: string; agent_id: string; agent_version: number;
  trigger_type: string; scheduled_at: number | null; state: string;
  session_id: string | null; error: string | null;
  planned_session_id: string; planned_event_ids: string;
  claim_owner: string | null; claim_token: number; claim_expires_at: number | null;
  created_at: number; completed_at: number | null;
}
/**
 * A github_repository session resource's server-side state (migration 36): the sealed
 * `authorization_token` (never in the session's `resources` JSON) and whether the clone is in place.
 * `id` is the resource's `sesrsc_` id.
 */
export interface SessionRepositoryTable {
  id: string; tenant_id: string; session_id: string;
  /** Sealed (`sb1.…`, SEALED_COLUMNS) or null when the resource has no token. */
  authorization_token: string | null;
  /** When the checkout was placed in the sandbox; null until a clone succeeded. */
  cloned_at: number | null;
  created_at: number; updated_at: number;
}

export interface Database {
  tenant: TenantTable;
  membership: MembershipTable;
  api_keys: ApiKeyTable;
  tenant_invitations: InvitationTable;
  sandbox_uids: SandboxUidTable;
  remote_sandboxes: RemoteSandboxTable;
  agents: AgentTable;
  agent_versions: AgentVersionTable;
  environments: EnvironmentTable;
  sessions: SessionTable;
  session_events: SessionEventTable;
  session_leases: SessionLeaseTable;
  model_cards: ModelCardTable;
  model_card_models: ModelCardModelTable;
  platform_meta: PlatformMetaTable;
  vaults: VaultTable;
  vault_credentials: VaultCredentialTable;
  memory_stores: MemoryStoreTable;
  memories: MemoryTable;
  memory_versions: MemoryVersionTable;
  session_memory_stores: SessionMemoryStoreTable;
  files: FileTable;
  session_outputs: SessionOutputTable;
  skills: SkillTable;
  skill_versions: SkillVersionTable;
  skill_version_files: SkillVersionFileTable;
  webhooks: WebhookTable;
  webhook_events: WebhookEventTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptTable;
  webhook_session_cursors: WebhookSessionCursorTable;
  deployments: DeploymentTable;
  deployment_runs: DeploymentRunTable;
  session_repositories: SessionRepositoryTable;
  schema_migrations: SchemaMigrationTable;
}

export type { Generated };
