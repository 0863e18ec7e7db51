/** Memory store rules: create, update (metadata patch), archive (read-only afterwards), delete with its memories, versions and blobs. */
import { InvalidRequestError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import type { MemoryStoreTable } from '../store/schema.ts';
import { parseJson, toJson } from '../store/json.ts';
import { toMemoryStore, type MemoryStoreListQuery } from '../store/memory-stores-repository.ts';
import { applyMetadataPatch } from '../agents/agent-service.ts';
import type { MemoryStore, MemoryStoreCreate, MemoryStoreUpdate } from '../api/schemas/memory-stores.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import { releaseBlobs } from './blob-references.ts';

export class MemoryStoreService {
  constructor(private readonly deps: { store: Store; blobs: BlobStore }) {}

  async create(tenantId: string, input: MemoryStoreCreate): Promise<MemoryStore> {
    const now = Date.now();
    const row: MemoryStoreTable = {
      id: newId('memstore'),
      tenant_id: tenantId,
      name: input.name,
      description: input.description ?? '',
      metadata: toJson(input.metadata ?? {}),
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await this.deps.store.memoryStores.insert(row);
    return toMemoryStore(row);
  }

  /** The store row; NotFoundError for an unknown id or another tenant's. */
  async getRow(tenantId: string, id: string): Promise<MemoryStoreTable> {
    const row = await this.deps.store.memoryStores.find(tenantId, id);
    if (!row) throw notFound('memory store', id);
    return row;
  }

  async get(tenantId: string, id: string): Promise<MemoryStore> {
    return toMemoryStore(await this.getRow(tenantId, id));
  }

  list(tenantId: string, query: MemoryStoreListQuery) {
    return this.deps.store.memoryStores.list(tenantId, query);
  }

  async update(tenantId: string, id: string, input: MemoryStoreUpdate): Promise<MemoryStore> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at !== null) throw new InvalidRequestError(`memory store ${id} is archived and read-only`);
    const metadata = applyMetadataPatch(parseJson<Record<string, string>>(row.metadata, 'memory_stores.metadata'), input.metadata);
    const patch = {
      name: input.name ?? row.name,
      description: input.description === undefined ? row.description : (input.description ?? ''),
      metadata: toJson(metadata),
    };
    if (patch.name !== row.name || patch.description !== row.description || patch.metadata !== row.metadata) {
      await this.deps.store.memoryStores.update(tenantId, id, { ...patch, updated_at: Date.now() });
    }
    return this.get(tenantId, id);
  }

  async archive(tenantId: string, id: string): Promise<MemoryStore> {
    const row = await this.getRow(tenantId, id);
    if (row.archived_at === null) {
      const now = Date.now();
      await this.deps.store.memoryStores.update(tenantId, id, { archived_at: now, updated_at: now });
    }
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'memory_store_deleted' }> {
    await this.getRow(tenantId, id);
    const hashes = await this.deps.store.transaction(async (tx) => {
      const held = await tx.memoryVersions.hashesOfStore(tenantId, id);
      await tx.memoryStores.delete(tenantId, id);
      return held;
    });
    await releaseBlobs(this.deps, hashes);
    return { id, type: 'memory_store_deleted' };
  }
}
