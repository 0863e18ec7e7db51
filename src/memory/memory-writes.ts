/**
 * The writes every memory change goes through, API or agent alike: each runs inside the caller's
 * transaction after `lockStore`, records exactly one version per effective change, and keeps the
 * memories row equal to its newest version. Content must already be in the blob store.
 */
import { InvalidRequestError, MemoryPathConflictError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import type { MemoryStoreTable, MemoryTable } from '../store/schema.ts';
import { ancestorsOf } from './memory-paths.ts';
import { authorColumns, type WriteActor } from './memory-actor.ts';

export interface Content {
  hash: string;
  size: number;
}

/** Locks the store for this transaction; NotFoundError when absent, and refuses writes to an archived one. */
export async function lockStore(tx: Store, tenantId: string, storeId: string, options: { write: boolean }): Promise<MemoryStoreTable> {
  const row = await tx.memoryStores.lock(tenantId, storeId);
  if (!row) throw notFound('memory store', storeId);
  if (options.write && row.archived_at !== null) {
    throw new InvalidRequestError(`memory store ${storeId} is archived: its memories can be read and deleted but not written`);
  }
  return row;
}

/** Throws MemoryPathConflictError when `path` is taken by, or overlaps, a memory other than `exceptId`. */
export async function assertPathFree(tx: Store, scope: { tenantId: string; storeId: string }, path: string, exceptId?: string): Promise<void> {
  const other = await tx.memories.findOverlapping(scope.tenantId, scope.storeId, { path, ancestors: ancestorsOf(path), exceptId });
  if (!other) return;
  const why = other.path === path ? 'is already used by' : other.path.length < path.length ? 'lies below the path of' : 'is an ancestor of the path of';
  throw new MemoryPathConflictError(
    `path ${JSON.stringify(path)} ${why} memory ${other.id} (${JSON.stringify(other.path)}); rename or delete that memory, or update it instead`,
    { conflicting_memory_id: other.id, conflicting_path: other.path },
  );
}

/** Creates a memory at a free path with a "created" version. */
export async function createMemoryRow(tx: Store, input: { tenantId: string; storeId: string; path: string; content: Content; actor: WriteActor }): Promise<MemoryTable> {
  await assertPathFree(tx, input, input.path);
  const now = Date.now();
  const row: MemoryTable = {
    id: newId('mem'),
    tenant_id: input.tenantId,
    memory_store_id: input.storeId,
    path: input.path,
    content_sha256: input.content.hash,
    content_size_bytes: input.content.size,
    memory_version_id: newId('memver'),
    created_at: now,
    updated_at: now,
  };
  await tx.memories.insert(row);
  await insertVersion(tx, row, { operation: 'created', actor: input.actor, now });
  return row;
}

/** Changes path and/or content; no version when nothing changes. Returns the row as it is now. */
export async function modifyMemoryRow(tx: Store, current: MemoryTable, change: { path: string; content: Content; actor: WriteActor }): Promise<MemoryTable> {
  if (change.path === current.path && change.content.hash === current.content_sha256) return current;
  if (change.path !== current.path) await assertPathFree(tx, { tenantId: current.tenant_id, storeId: current.memory_store_id }, change.path, current.id);
  const now = Date.now();
  const next: MemoryTable = { ...current, path: change.path, content_sha256: change.content.hash, content_size_bytes: change.content.size, memory_version_id: newId('memver'), updated_at: now };
  await tx.memories.update(current.tenant_id, current.id, { path: next.path, content_sha256: next.content_sha256, content_size_bytes: next.content_size_bytes, memory_version_id: next.memory_version_id, updated_at: now });
  await insertVersion(tx, next, { operation: 'modified', actor: change.actor, now });
  return next;
}

/** Deletes the memory, leaving a "deleted" version (its versions outlive it). */
export async function deleteMemoryRow(tx: Store, current: MemoryTable, actor: WriteActor): Promise<void> {
  await tx.memories.delete(current.tenant_id, current.id);
  await tx.memoryVersions.insert({
    id: newId('memver'),
    tenant_id: current.tenant_id,
    memory_store_id: current.memory_store_id,
    memory_id: current.id,
    operation: 'deleted',
    path: current.path,
    content_sha256: null,
    content_size_bytes: null,
    created_at: Date.now(),
    ...authorColumns(actor),
    redacted_at: null,
    redacted_by: null,
  });
}

async function insertVersion(tx: Store, row: MemoryTable, change: { operation: 'created' | 'modified'; actor: WriteActor; now: number }): Promise<void> {
  const { operation, actor, now } = change;
  await tx.memoryVersions.insert({
    id: row.memory_version_id,
    tenant_id: row.tenant_id,
    memory_store_id: row.memory_store_id,
    memory_id: row.id,
    operation,
    path: row.path,
    content_sha256: row.content_sha256,
    content_size_bytes: row.content_size_bytes,
    created_at: now,
    ...authorColumns(actor),
    redacted_at: null,
    redacted_by: null,
  });
}
