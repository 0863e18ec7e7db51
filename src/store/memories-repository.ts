/** SQL for memories (the current state of each path). Every query is scoped by tenant and store. */
import type { Kysely } from 'kysely';
import type { Database, MemoryTable } from './schema.ts';

export class MemoriesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: MemoryTable): Promise<void> {
    await this.db.insertInto('memories').values(row).execute();
  }

  find(tenantId: string, storeId: string, id: string): Promise<MemoryTable | undefined> {
    return this.db.selectFrom('memories').selectAll().where('id', '=', id).where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  findByPath(tenantId: string, storeId: string, path: string): Promise<MemoryTable | undefined> {
    return this.db.selectFrom('memories').selectAll().where('path', '=', path).where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  /**
   * A memory other than `exceptId` whose path equals `path`, is one of `ancestors`, or lies below
   * `path` (compared with substr, not LIKE, so "%" and "_" in paths are plain characters).
   */
  findOverlapping(tenantId: string, storeId: string, query: { path: string; ancestors: string[]; exceptId?: string }): Promise<Pick<MemoryTable, 'id' | 'path'> | undefined> {
    const below = `${query.path}/`;
    let q = this.db
      .selectFrom('memories')
      .select(['id', 'path'])
      .where('memory_store_id', '=', storeId)
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([
        eb('path', 'in', [query.path, ...query.ancestors]),
        eb(eb.fn('substr', ['path', eb.val(1), eb.val(Array.from(below).length)]), '=', below),
      ]));
    if (query.exceptId) q = q.where('id', '!=', query.exceptId);
    return q.orderBy('path').executeTakeFirst();
  }

  async update(tenantId: string, id: string, patch: Partial<Omit<MemoryTable, 'id' | 'tenant_id' | 'memory_store_id' | 'created_at'>>): Promise<void> {
    await this.db.updateTable('memories').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.db.deleteFrom('memories').where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /**
   * Up to `limit` memories with `from` <= path (or < path, with `after`) and path < `below`, in
   * bytewise path order: a range on memories_store_path (path is BINARY on SQLite, COLLATE "C" on
   * Postgres: migration 62).
   */
  page(tenantId: string, storeId: string, q: { from: string; after: boolean; below: string; limit: number }): Promise<MemoryTable[]> {
    return this.db.selectFrom('memories').selectAll().where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId)
      .where('path', q.after ? '>' : '>=', q.from).where('path', '<', q.below)
      .orderBy('path').limit(q.limit).execute();
  }

  /** Every memory at or below `prefix` ("/" = all), in no particular order (callers sort bytewise). */
  listUnder(tenantId: string, storeId: string, prefix: string): Promise<MemoryTable[]> {
    let q = this.db.selectFrom('memories').selectAll().where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId);
    if (prefix !== '/') q = q.where((eb) => eb(eb.fn('substr', ['path', eb.val(1), eb.val(Array.from(prefix).length)]), '=', prefix));
    return q.execute();
  }
}
