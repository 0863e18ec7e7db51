/**
 * Memory versions: list (newest first, filters), retrieve, redact. Redaction is the only change a
 * version ever sees: it clears path and content fields and removes the content from the blob store
 * when no other version holds it. The version holding a memory's current content cannot be
 * redacted (the memory would lose its content); update or delete the memory first.
 */
import { ConflictError, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { MemoryVersion, MemoryView } from '../api/schemas/memory-stores.ts';
import type { MemoryVersionListQuery } from '../store/memory-versions-repository.ts';
import { toMemoryVersion } from './memory-mapper.ts';
import { actorOf, type WriteActor } from './memory-actor.ts';
import { lockStore } from './memory-writes.ts';
import { releaseBlobs } from './blob-references.ts';
import { toJson } from '../store/json.ts';

interface Scope {
  tenantId: string;
  storeId: string;
}

export class MemoryVersionService {
  constructor(private readonly deps: { store: Store; blobs: BlobStore }) {}

  async list(scope: Scope, q: MemoryVersionListQuery & { view: MemoryView }): Promise<{ data: MemoryVersion[]; next_page: string | null }> {
    if (!(await this.deps.store.memoryStores.find(scope.tenantId, scope.storeId))) throw notFound('memory store', scope.storeId);
    const page = await this.deps.store.memoryVersions.list(scope.tenantId, scope.storeId, q);
    return { data: await Promise.all(page.rows.map((r) => toMemoryVersion(r, q.view, this.deps.blobs))), next_page: page.next_page };
  }

  async get(scope: Scope, versionId: string, view: MemoryView): Promise<MemoryVersion> {
    if (!(await this.deps.store.memoryStores.find(scope.tenantId, scope.storeId))) throw notFound('memory store', scope.storeId);
    const row = await this.deps.store.memoryVersions.find(scope.tenantId, scope.storeId, versionId);
    if (!row) throw notFound('memory version', versionId);
    return toMemoryVersion(row, view, this.deps.blobs);
  }

  async redact(scope: Scope, versionId: string, actor: WriteActor): Promise<MemoryVersion> {
    const released = await this.deps.store.transaction(async (tx) => {
      await lockStore(tx, scope.tenantId, scope.storeId, { write: false });
      const row = await tx.memoryVersions.find(scope.tenantId, scope.storeId, versionId);
      if (!row) throw notFound('memory version', versionId);
      if (row.redacted_at !== null) return undefined;
      const memory = await tx.memories.find(scope.tenantId, scope.storeId, row.memory_id);
      if (memory?.memory_version_id === row.id) {
        throw new ConflictError(`memory version ${versionId} holds the current content of memory ${row.memory_id}; update or delete the memory first, then redact this version`);
      }
      const by = actorOf(actor);
      await tx.memoryVersions.update(scope.tenantId, versionId, { path: null, content_sha256: null, content_size_bytes: null, redacted_at: Date.now(), redacted_by: by ? toJson(by) : null });
      return row.content_sha256;
    });
    if (released) await releaseBlobs(this.deps, [released]);
    return this.get(scope, versionId, 'full');
  }
}
