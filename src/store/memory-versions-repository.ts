/** SQL for memory versions, newest first. Every query is scoped by tenant and store. */
import type { Kysely } from 'kysely';
import type { Database, MemoryVersionTable } from './schema.ts';
import { decodeCursor, keysetPage, toPage } from './pagination.ts';

export interface MemoryVersionListQuery {
  limit: number;
  page?: string;
  memoryId?: string;
  operation?: string;
  sessionId?: string;
  apiKeyId?: string;
  createdGte?: number;
  createdLte?: number;
}

export class MemoryVersionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: MemoryVersionTable): Promise<void> {
    await this.db.insertInto('memory_versions').values(row).execute();
  }

  find(tenantId: string, storeId: string, id: string): Promise<MemoryVersionTable | undefined> {
    return this.db.selectFrom('memory_versions').selectAll().where('id', '=', id).where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  async update(tenantId: string, id: string, patch: Partial<Pick<MemoryVersionTable, 'path' | 'content_sha256' | 'content_size_bytes' | 'redacted_at' | 'redacted_by'>>): Promise<void> {
    await this.db.updateTable('memory_versions').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /** How many versions anywhere still hold this content (redacted and deleted versions hold none). */
  async countHolding(hash: string): Promise<number> {
    const row = await this.db.selectFrom('memory_versions').select((eb) => eb.fn.countAll<number>().as('n')).where('content_sha256', '=', hash).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Content hashes of a store's versions (for removing blobs when the store is deleted). */
  async hashesOfStore(tenantId: string, storeId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('memory_versions').select('content_sha256').distinct().where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId).where('content_sha256', 'is not', null).execute();
    return rows.map((r) => r.content_sha256!);
  }

  async list(tenantId: string, storeId: string, q: MemoryVersionListQuery): Promise<{ rows: MemoryVersionTable[]; next_page: string | null }> {
    const cursor = decodeCursor(q.page, 'desc');
    let query = this.db.selectFrom('memory_versions').selectAll().where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId);
    if (q.memoryId) query = query.where('memory_id', '=', q.memoryId);
    if (q.operation) query = query.where('operation', '=', q.operation);
    if (q.sessionId) query = query.where('session_id', '=', q.sessionId);
    if (q.apiKeyId) query = query.where('api_key_id', '=', q.apiKeyId);
    if (q.createdGte !== undefined) query = query.where('created_at', '>=', q.createdGte);
    if (q.createdLte !== undefined) query = query.where('created_at', '<=', q.createdLte);
    const fetched = await keysetPage(query, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: q.limit }).execute();
    const page = toPage(fetched, { limit: q.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, (r) => r);
    return { rows: page.data, next_page: page.next_page };
  }
}
