/**
 * One ordered list of schema steps. Every boot runs the ones not yet recorded in
 * schema_migrations, inside one transaction that holds the dialect's migration lock, so two
 * instances booting at once on Postgres take turns. The DDL is written to be valid on both SQLite
 * and Postgres (and idempotent), because `sqlite3 .dump` of our tables must replay on Postgres.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { DialectCapabilities } from './dialect.ts';
import { NOTIFY_TRIGGERS } from './postgres/notify-triggers.ts';
import { FILES_SCHEMA, SESSION_OUTPUTS_SCHEMA, SKILLS_SCHEMA } from './files-schema.ts';
import { WEBHOOKS_SCHEMA } from './webhooks-schema.ts';
import { DEPLOYMENTS_SCHEMA } from './deployments-schema.ts';
import { LIST_INDEXES } from './list-indexes.ts';
import { MEMORY_SCHEMA } from './memory-schema.ts';

export interface MigrationContext {
  db: Kysely<Database>;
  kind: 'sqlite' | 'postgres';
  /** For steps only one kind of database has (e.g. Postgres notification triggers). */
  capabilities: DialectCapabilities;
  /** Adds a column unless it exists (SQLite has no ADD COLUMN IF NOT EXISTS). */
  addColumn(table: string, column: string, definition: string): Promise<void>;
  /** The dialect's own DDL for steps written differently per database (triggers). */
  ddl: { authEpoch: readonly string[] };
}

export interface Migration {
  version: number;
  name: string;
  up(ctx: MigrationContext): Promise<void>;
}

/** The notification triggers (notify-triggers.ts), on databases that have LISTEN/NOTIFY. */
async function installNotifyTriggers({ db, capabilities }: MigrationContext): Promise<void> {
  if (!capabilities.supportsListenNotify) return;
  for (const statement of NOTIFY_TRIGGERS) await sql.raw(statement).execute(db);
}

const INITIAL_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tenant (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS membership (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,
     created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, user_id))`,
  `CREATE INDEX IF NOT EXISTS membership_user ON membership (user_id)`,
  `CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
     prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, created_by TEXT, created_at BIGINT NOT NULL,
     last_used_at BIGINT, revoked_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
     version INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, archived_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS agents_tenant ON agents (tenant_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS agent_versions (agent_id TEXT NOT NULL REFERENCES agents (id), version INTEGER NOT NULL,
     tenant_id TEXT NOT NULL, config TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (agent_id, version))`,
  `CREATE TABLE IF NOT EXISTS environments (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
     description TEXT, config TEXT NOT NULL, metadata TEXT NOT NULL, scope TEXT, is_default INTEGER NOT NULL,
     created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, archived_at BIGINT)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS environments_tenant_name ON environments (tenant_id, name)`,
  `CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, agent_id TEXT,
     agent_version INTEGER, agent TEXT, environment_id TEXT NOT NULL, title TEXT, metadata TEXT NOT NULL,
     vault_ids TEXT NOT NULL, resources TEXT NOT NULL, status TEXT NOT NULL, last_seq BIGINT NOT NULL,
     usage TEXT NOT NULL, active_ms BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
     archived_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS sessions_tenant ON sessions (tenant_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS sessions_status ON sessions (status)`,
  `CREATE TABLE IF NOT EXISTS session_events (session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
     seq BIGINT NOT NULL, id TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL, type TEXT NOT NULL,
     payload TEXT NOT NULL, processed_at BIGINT, created_at BIGINT NOT NULL, PRIMARY KEY (session_id, seq))`,
  `CREATE TABLE IF NOT EXISTS session_leases (session_id TEXT PRIMARY KEY, owner TEXT NOT NULL,
     token BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS platform_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

/** Per-tenant model providers (issue #15). Sealed columns: api_key, headers (see vault/sealed-columns.ts). */
const MODEL_CARDS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS model_cards (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
     provider TEXT NOT NULL, base_url TEXT NOT NULL, api_key TEXT NOT NULL, api_key_hint TEXT NOT NULL,
     models TEXT NOT NULL, is_default INTEGER NOT NULL, headers TEXT, prices TEXT,
     created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS model_cards_tenant_name ON model_cards (tenant_id, name)`,
  `CREATE INDEX IF NOT EXISTS model_cards_tenant_created ON model_cards (tenant_id, created_at)`,
  // At most one default card per tenant, enforced by the database (partial indexes exist on both).
  `CREATE UNIQUE INDEX IF NOT EXISTS model_cards_tenant_default ON model_cards (tenant_id) WHERE is_default = 1`,
  `CREATE TABLE IF NOT EXISTS model_card_models (tenant_id TEXT NOT NULL, model TEXT NOT NULL,
     card_id TEXT NOT NULL REFERENCES model_cards (id) ON DELETE CASCADE, PRIMARY KEY (tenant_id, model))`,
  `CREATE INDEX IF NOT EXISTS model_card_models_card ON model_card_models (card_id)`,
];

/**
 * Vaults and their credentials. `auth` is the credential's public configuration (the response
 * shape); `secret` holds its secret fields as one value sealed by vault/secret-box.ts (registered
 * in vault/sealed-columns.ts). Deleting a vault deletes its credentials.
 */
const VAULT_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS vaults (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, display_name TEXT NOT NULL,
     metadata TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, archived_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS vaults_tenant ON vaults (tenant_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS vault_credentials (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,
     vault_id TEXT NOT NULL REFERENCES vaults (id) ON DELETE CASCADE, display_name TEXT, metadata TEXT NOT NULL,
     auth_type TEXT NOT NULL, auth TEXT NOT NULL, secret TEXT NOT NULL, created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL, archived_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS vault_credentials_vault ON vault_credentials (vault_id, created_at)`,
];

const INVITATIONS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tenant_invitations (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenant (id),
     email TEXT NOT NULL, role TEXT NOT NULL, invited_by TEXT, status TEXT NOT NULL,
     created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, responded_at BIGINT)`,
  // One pending invitation per address and tenant; answered ones stay as history.
  `CREATE UNIQUE INDEX IF NOT EXISTS tenant_invitations_pending ON tenant_invitations (tenant_id, email) WHERE status = 'pending'`,
  `CREATE INDEX IF NOT EXISTS tenant_invitations_email ON tenant_invitations (email, status)`,
];

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    async up({ db }) {
      for (const statement of INITIAL_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 2,
    name: 'turn marker on sessions',
    async up(ctx) {
      await ctx.addColumn('sessions', 'turn_id', 'TEXT');
    },
  },
  {
    version: 3,
    name: 'index of unprocessed events',
    async up({ db }) {
      // The harness's sweep (at boot and every LEASE_TTL_MS / 2) looks for queued input; without
      // this partial index it read every stored event (1,000,000 events: 0.3 s on SQLite, 1.3 s on Postgres).
      await sql.raw('CREATE INDEX IF NOT EXISTS session_events_unprocessed ON session_events (session_id) WHERE processed_at IS NULL').execute(db);
    },
  },
  {
    version: 4,
    name: 'cross-instance notifications',
    // Postgres only: committed events, archives and deletes notify the other instances (live streams
    // and wake-ups across instances). The triggers are not part of a `sqlite3 .dump`; an import
    // into Postgres gets them at its first boot.
    up: installNotifyTriggers,
  },
  {
    version: 5,
    name: 'environment config snapshot on sessions',
    async up(ctx) {
      // The environment's config as it was when the session was created (environment updates apply
      // only to new sessions). NULL on sessions created before this step: they read the environment.
      await ctx.addColumn('sessions', 'environment_config', 'TEXT');
    },
  },
  {
    version: 6,
    name: 'notify only while other instances listen',
    // Step 4's statements (idempotent) as they are now, with the listener registry.
    up: installNotifyTriggers,
  },
  {
    version: 10,
    name: 'tenant invitations',
    async up({ db }) {
      for (const statement of INVITATIONS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 11,
    name: 'sandbox uid ledger',
    async up({ db }) {
      await sql.raw('CREATE TABLE IF NOT EXISTS sandbox_uids (uid INTEGER PRIMARY KEY, session_id TEXT NOT NULL UNIQUE, allocated_at BIGINT NOT NULL)').execute(db);
    },
  },
  {
    version: 13,
    name: 'vaults and credentials',
    async up({ db }) {
      for (const statement of VAULT_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 19,
    name: 'memory stores, memories and memory versions',
    // Content lives in the blob store (MEMORY_BLOB_DIR or S3), addressed by content_sha256.
    async up({ db }) {
      for (const statement of MEMORY_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 20,
    name: 'sessions attached to memory stores',
    // GET /v1/sessions?memory_store_id= ; the attachment itself is in sessions.resources.
    async up({ db }) {
      await sql.raw(`CREATE TABLE IF NOT EXISTS session_memory_stores (session_id TEXT NOT NULL, memory_store_id TEXT NOT NULL,
        tenant_id TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (session_id, memory_store_id))`).execute(db);
      await sql.raw('CREATE INDEX IF NOT EXISTS session_memory_stores_store ON session_memory_stores (memory_store_id)').execute(db);
    },
  },
  {
    version: 22,
    name: 'model cards',
    async up({ db }) {
      for (const statement of MODEL_CARDS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 23,
    name: 'session budgets',
    async up(ctx) {
      // JSON budget; SQL NULL = never had one, JSON null = removed (it cannot be added again).
      await ctx.addColumn('sessions', 'budget', 'TEXT');
    },
  },
  {
    version: 31,
    name: 'files',
    async up({ db }) {
      for (const statement of FILES_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 32,
    name: 'skills and skill versions',
    async up({ db }) {
      for (const statement of SKILLS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 33,
    name: 'agent outputs collected into files',
    async up({ db }) {
      for (const statement of SESSION_OUTPUTS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 36,
    name: 'session repositories',
    // github_repository resources: the sealed token (SEALED_COLUMNS) and the clone marker; the
    // resource object itself is in sessions.resources.
    async up({ db }) {
      await sql.raw(`CREATE TABLE IF NOT EXISTS session_repositories (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,
        session_id TEXT NOT NULL, authorization_token TEXT, cloned_at BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`).execute(db);
      await sql.raw('CREATE INDEX IF NOT EXISTS session_repositories_session ON session_repositories (session_id)').execute(db);
    },
  },
  {
    version: 40,
    name: 'deployments and deployment runs',
    async up({ db }) {
      for (const statement of DEPLOYMENTS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 45,
    name: 'webhooks and their outbox',
    async up({ db }) {
      for (const statement of WEBHOOKS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 46,
    name: 'webhook redelivery requests',
    async up(ctx) {
      // Set by POST …/redeliver: the next attempt is recorded as a redelivery.
      await ctx.addColumn('webhook_deliveries', 'redeliver_requested_at', 'BIGINT');
    },
  },
  {
    version: 50,
    name: 'remote sandboxes per session',
    // One row per session with a remote sandbox (e2b, daytona, boxrun, litebox): the provider's id,
    // state ('creating' before the provider answered, 'ready'), the instance that last attached.
    async up({ db }) {
      await sql.raw(`CREATE TABLE IF NOT EXISTS remote_sandboxes (session_id TEXT PRIMARY KEY, provider TEXT NOT NULL,
        sandbox_id TEXT, tenant_id TEXT NOT NULL, deployment_id TEXT NOT NULL, instance_id TEXT NOT NULL, state TEXT NOT NULL,
        created_at BIGINT NOT NULL, last_used_at BIGINT NOT NULL)`).execute(db);
      await sql.raw('CREATE INDEX IF NOT EXISTS remote_sandboxes_provider ON remote_sandboxes (provider, deployment_id)').execute(db);
    },
  },
  {
    version: 57,
    name: 'auth epoch',
    // auth-epoch.ts: bumped by triggers on key revocation and membership changes; the API-key cache reads it.
    async up({ db, ddl }) {
      for (const statement of ddl.authEpoch) await sql.raw(statement).execute(db);
    },
  },
  {
    version: 58,
    name: 'session list index with its tie-breaker',
    async up({ db }) {
      // GET /v1/sessions pages by (created_at, id) after a cursor. On (tenant_id, created_at) alone
      // SQLite searched by tenant only and filtered its way to the cursor: the 50th page of 100 cost
      // 50 pages' reads. With id in the index the cursor is a range bound (sessions-repository.ts).
      await sql.raw('CREATE INDEX IF NOT EXISTS sessions_tenant_created ON sessions (tenant_id, created_at, id)').execute(db);
      await sql.raw('DROP INDEX IF EXISTS sessions_tenant').execute(db);
    },
  },
  {
    version: 59,
    name: 'sessions by last change',
    async up({ db }) {
      // The webhook dispatcher's poll reads only the sessions changed since its last pass (every append
      // sets updated_at): an index range instead of a scan of every session at every WEBHOOK_POLL_MS.
      // Its cost: updated_at is now indexed, so an append's UPDATE of the session row also writes this
      // index (on Postgres it is no longer a HOT update). See webhooks-repository.ts sessionsToFanOut.
      await sql.raw('CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated_at)').execute(db);
    },
  },
  {
    version: 60,
    name: 'webhook outbox retention',
    async up({ db }) {
      // The retention sweep (WebhooksRepository.deleteFinishedBefore, WEBHOOK_RETENTION_DAYS) finds
      // finished deliveries by age, and an event's remaining deliveries by event id, from indexes:
      // without them each hourly batch scanned the outbox it is there to bound. Their cost: a
      // delivery insert writes one more index, a final attempt moves it into the partial one.
      await sql.raw("CREATE INDEX IF NOT EXISTS webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE state IN ('delivered', 'failed')").execute(db);
      await sql.raw('CREATE INDEX IF NOT EXISTS webhook_deliveries_by_event ON webhook_deliveries (event_id)').execute(db);
    },
  },
  {
    version: 61,
    name: 'list indexes with their tie-breaker',
    async up({ db }) {
      // Every list pages by (created_at, id) after a cursor, as the sessions list does since
      // migration 58: one index per list, its equality filter then (created_at, id) (list-indexes.ts).
      for (const [name, table, columns, replaces] of LIST_INDEXES) {
        await sql.raw(`CREATE INDEX IF NOT EXISTS ${name} ON ${table} (${columns})`).execute(db);
        if (replaces) await sql.raw(`DROP INDEX IF EXISTS ${replaces}`).execute(db);
      }
    },
  },
  {
    version: 62,
    name: 'memory paths in bytewise order on Postgres',
    async up({ db, kind }) {
      // memories.page reads bytewise path ranges: SQLite's BINARY is bytewise, Postgres' en_US.UTF-8 (say) is not.
      if (kind === 'postgres') await sql.raw('ALTER TABLE memories ALTER COLUMN path TYPE TEXT COLLATE "C"').execute(db);
    },
  },
];

export const SCHEMA_MIGRATIONS_DDL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';
