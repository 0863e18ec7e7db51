/**
 * The auth epoch: a counter that triggers bump in the same transaction as any change that can
 * invalidate an API key's principal (a key revoked, deleted or rewritten; a membership changed or
 * removed), whoever makes it (this server, another instance, the `oma` CLI in another process).
 * The API-key cache (auth/api-key-cache.ts) keeps an entry only while the epoch it was read at is
 * still current, so revocation takes effect on the next request with one tiny read instead of the
 * key and membership lookups. A missing row reads as 0; bumps upsert it, so it only grows.
 */
export const AUTH_EPOCH_TABLE = `CREATE TABLE IF NOT EXISTS oma_auth_epoch (id INTEGER PRIMARY KEY, epoch BIGINT NOT NULL)`;

export const READ_AUTH_EPOCH_SQL = 'SELECT epoch FROM oma_auth_epoch WHERE id = 1';

/** Columns of api_keys whose change alters who a key is (last_used_at is not one). */
const KEY_COLUMNS = 'revoked_at, key_hash, tenant_id, created_by';

const SQLITE_BUMP = `INSERT OR REPLACE INTO oma_auth_epoch (id, epoch) VALUES (1, COALESCE((SELECT epoch FROM oma_auth_epoch WHERE id = 1), 0) + 1)`;

export const SQLITE_AUTH_EPOCH = [
  AUTH_EPOCH_TABLE,
  `CREATE TRIGGER IF NOT EXISTS oma_auth_epoch_key_update AFTER UPDATE OF ${KEY_COLUMNS} ON api_keys BEGIN ${SQLITE_BUMP}; END`,
  `CREATE TRIGGER IF NOT EXISTS oma_auth_epoch_key_delete AFTER DELETE ON api_keys BEGIN ${SQLITE_BUMP}; END`,
  `CREATE TRIGGER IF NOT EXISTS oma_auth_epoch_membership_update AFTER UPDATE ON membership BEGIN ${SQLITE_BUMP}; END`,
  `CREATE TRIGGER IF NOT EXISTS oma_auth_epoch_membership_delete AFTER DELETE ON membership BEGIN ${SQLITE_BUMP}; END`,
];

export const POSTGRES_AUTH_EPOCH = [
  AUTH_EPOCH_TABLE,
  `CREATE OR REPLACE FUNCTION oma_bump_auth_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO oma_auth_epoch (id, epoch) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET epoch = oma_auth_epoch.epoch + 1;
     RETURN NULL;
   END $$`,
  `DROP TRIGGER IF EXISTS oma_auth_epoch_keys ON api_keys`,
  `CREATE TRIGGER oma_auth_epoch_keys AFTER UPDATE OF ${KEY_COLUMNS} OR DELETE ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION oma_bump_auth_epoch()`,
  `DROP TRIGGER IF EXISTS oma_auth_epoch_membership ON membership`,
  `CREATE TRIGGER oma_auth_epoch_membership AFTER UPDATE OR DELETE ON membership FOR EACH STATEMENT EXECUTE FUNCTION oma_bump_auth_epoch()`,
];
