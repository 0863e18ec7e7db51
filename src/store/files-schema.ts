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
