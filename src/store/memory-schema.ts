/**
 * DDL for memory stores, their memories (the current content of each path) and memory versions
 * (every change, newest first). On Postgres memories.path is COLLATE "C" (migration 62).
 */
export const MEMORY_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS memory_stores (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
     description TEXT NOT NULL, metadata TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, archived_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS memory_stores_tenant ON memory_stores (tenant_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS memories (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, memory_store_id TEXT NOT NULL,
     path TEXT NOT NULL, content_sha256 TEXT NOT NULL, content_size_bytes BIGINT NOT NULL, memory_version_id TEXT NOT NULL,
     created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS memories_store_path ON memories (memory_store_id, path)`,
  `CREATE TABLE IF NOT EXISTS memory_versions (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, memory_store_id TEXT NOT NULL,
     memory_id TEXT NOT NULL, operation TEXT NOT NULL, path TEXT, content_sha256 TEXT, content_size_bytes BIGINT,
     created_at BIGINT NOT NULL, created_by TEXT, session_id TEXT, api_key_id TEXT, redacted_at BIGINT, redacted_by TEXT)`,
  `CREATE INDEX IF NOT EXISTS memory_versions_store ON memory_versions (memory_store_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS memory_versions_memory ON memory_versions (memory_id)`,
  `CREATE INDEX IF NOT EXISTS memory_versions_content ON memory_versions (content_sha256)`,
];
