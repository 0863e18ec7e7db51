/**
 * DDL for Files (migration 31). A file's bytes are the blob named by `sha256` in the files blob
 * store; rows sharing content share the blob, which is removed with the last row holding it.
 * `scope_type`/`scope_id` link agent outputs to their session (`scope_id` filter of GET /v1/files).
 */
export const FILES_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, filename TEXT NOT NULL,
     mime_type TEXT NOT NULL, size_bytes BIGINT NOT NULL, sha256 TEXT NOT NULL, downloadable INTEGER NOT NULL,
     scope_type TEXT, scope_id TEXT, created_at BIGINT NOT NULL, expires_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS files_tenant ON files (tenant_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS files_scope ON files (tenant_id, scope_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256)`,
];

/**
 * DDL for skills (migration 32). A version's files are rows of skill_version_files whose bytes are
 * blobs of the files blob store (shared with Files, so a blob is released only when neither table
 * holds it). `version` is the version's public id (a decimal string, unique per skill).
 */
export const SKILLS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS skills (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, display_name TEXT NOT NULL,
     name TEXT NOT NULL, latest_version TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS skills_tenant_display_name ON skills (tenant_id, display_name)`,
  `CREATE INDEX IF NOT EXISTS skills_tenant ON skills (tenant_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS skill_versions (skill_id TEXT NOT NULL, version TEXT NOT NULL, tenant_id TEXT NOT NULL,
     name TEXT NOT NULL, description TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (skill_id, version))`,
  `CREATE TABLE IF NOT EXISTS skill_version_files (skill_id TEXT NOT NULL, version TEXT NOT NULL, path TEXT NOT NULL,
     sha256 TEXT NOT NULL, size_bytes BIGINT NOT NULL, PRIMARY KEY (skill_id, version, path))`,
  `CREATE INDEX IF NOT EXISTS skill_version_files_sha256 ON skill_version_files (sha256)`,
];

/**
 * DDL for collected agent outputs (migration 33): one row per (session, path under
 * /mnt/session/outputs, content) that became a File, so a turn end re-run after a crash, or a later
 * turn end, never makes that File again (also not after the client deleted it).
 */
export const SESSION_OUTPUTS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS session_outputs (session_id TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
     tenant_id TEXT NOT NULL, file_id TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (session_id, path, sha256))`,
];
