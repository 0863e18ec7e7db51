/**
 * DDL for webhooks (migration 45). An endpoint (`webhooks`) holds its signing secret sealed
 * (`secret`, and `previous_secret` while a rotation's grace period lasts; both in SEALED_COLUMNS).
 * The outbox is `webhook_events` (one row per event, the exact payload every endpoint receives)
 * plus `webhook_deliveries` (one row per endpoint and event: its retry state), written in the
 * transaction of the change that triggers them (`WebhooksRepository.enqueue`) or, for session
 * lifecycle events, by the dispatcher in the transaction that advances a session's cursor
 * (`webhook_session_cursors`) over the committed event log. Every attempt is a
 * `webhook_delivery_attempts` row.
 */
export const WEBHOOKS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, url TEXT NOT NULL,
     description TEXT, event_types TEXT NOT NULL, status TEXT NOT NULL, disabled_reason TEXT,
     secret TEXT NOT NULL, previous_secret TEXT, previous_secret_expires_at BIGINT, failing_since BIGINT,
     lease_owner TEXT, lease_until BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS webhooks_tenant ON webhooks (tenant_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS webhook_events (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, type TEXT NOT NULL,
     data TEXT NOT NULL, session_id TEXT, session_seq BIGINT, created_at BIGINT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS webhook_events_tenant ON webhook_events (tenant_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS webhook_deliveries (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,
     webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
     event_id TEXT NOT NULL REFERENCES webhook_events (id), event_type TEXT NOT NULL,
     event_created_at BIGINT NOT NULL, event_order BIGINT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
     next_attempt_at BIGINT, last_attempt_at BIGINT, last_status_code INTEGER, last_error TEXT, delivered_at BIGINT,
     created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  // One delivery per endpoint and event, whoever writes it (a second fan-out is a unique violation).
  `CREATE UNIQUE INDEX IF NOT EXISTS webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id)`,
  `CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`,
  `CREATE INDEX IF NOT EXISTS webhook_deliveries_list ON webhook_deliveries (webhook_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS webhook_delivery_attempts (delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
     attempt INTEGER NOT NULL, tenant_id TEXT NOT NULL, kind TEXT NOT NULL, started_at BIGINT NOT NULL,
     duration_ms BIGINT NOT NULL, status_code INTEGER, error TEXT, PRIMARY KEY (delivery_id, attempt))`,
  `CREATE TABLE IF NOT EXISTS webhook_session_cursors (session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
     tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
];
