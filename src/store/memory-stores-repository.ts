/** SQL for memory stores. Every query is scoped by tenant. */
import type { Kysely } from 'kysely';
import type { Database, MemoryStoreTable } from './schema.ts';
import { parseJson } from './json.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';
import type { MemoryStore } from '../api/schemas/memory-stores.ts';
import { toIso } from '../lib/time.ts';

export function toMemoryStore(row: MemoryStoreTable): MemoryStore {
  return {
    id: row.id,
    type: 'memory_store',
    name: row.name,
    description: row.description,
    metadata: parseJson(row.metadata, 'memory_stores.metadata'),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    archived_at: toIso(row.archived_at),
  };
}

export interface MemoryStoreListQuery {
  limit: number;
  page?: string;
  includeArchived: boolean;
  createdGte?: number;
  createdLte?: number;
}

export class MemoryStoresRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: MemoryStoreTable): Promise<void> {
    await this.db.insertInto('memory_stores').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<MemoryStoreTable | undefined> {
    return this.db.selectFrom('memory_stores').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  /**
   * Locks the store's row for the rest of the transaction (a no-op UPDATE: Postgres takes the row
   * lock, SQLite has one writer anyway), so writes to one store's memories are serialised and two
   * overlapping paths cannot both pass the conflict check. Returns the row, or undefined.
   */
  async lock(tenantId: string, id: string): Promise<MemoryStoreTable | undefined> {
    await this.db.updateTable('memory_stores').set((eb) => ({ id: eb.ref('id') })).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
    return this.find(tenantId, id);
  }

  async update(tenantId: string, id: string, patch: Partial<Pick<MemoryStoreTable, 'name' | 'description' | 'metadata' | 'updated_at' | 'archived_at'>>): Promise<void> {
    await this.db.updateTable('memory_stores').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /** Records which stores a session attached (for GET /v1/sessions?memory_store_id=). */
  async linkSession(tenantId: string, sessionId: string, storeIds: string[]): Promise<void> {
    if (storeIds.length === 0) return;
    const now = Date.now();
    await this.db.insertInto('session_memory_stores').values(storeIds.map((memory_store_id) => ({ session_id: sessionId, memory_store_id, tenant_id: tenantId, created_at: now }))).execute();
  }

  /** Removes the store with its memories, versions and session links. */
  async delete(tenantId: string, id: string): Promise<void> {
    await this.db.deleteFrom('session_memory_stores').where('memory_store_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('memory_versions').where('memory_store_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('memories').where('memory_store_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('memory_stores').where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async list(tenantId: string, q: MemoryStoreListQuery): Promise<Page<MemoryStore>> {
    const cursor = decodeCursor(q.page, 'desc');
    let query = this.db.selectFrom('memory_stores').selectAll().where('tenant_id', '=', tenantId);
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    if (q.createdGte !== undefined) query = query.where('created_at', '>=', q.createdGte);
    if (q.createdLte !== undefined) query = query.where('created_at', '<=', q.createdLte);
    const rows = await keysetPage(query, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: q.limit }).execute();
    return toPage(rows, { limit: q.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, toMemoryStore);
  }
}
