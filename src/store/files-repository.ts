/** SQL for files. Every query is scoped by tenant except `countHolding` (blobs are shared by content). */
import type { Kysely } from 'kysely';
import type { Database, FileTable, SessionOutputTable } from './schema.ts';
import { decodeCursor, keysetPage, toPage } from './pagination.ts';

export interface FileListOptions {
  limit: number;
  page?: string;
  scopeId?: string;
  /** Legacy paging: rows older (after) or newer (before) than this row, newest first either way. */
  after?: { created_at: number; id: string };
  before?: { created_at: number; id: string };
}

export interface FileRowPage {
  rows: FileTable[];
  next_page: string | null;
  has_more: boolean;
}

export class FilesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: FileTable): Promise<void> {
    await this.db.insertInto('files').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<FileTable | undefined> {
    return this.db.selectFrom('files').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  findMany(tenantId: string, ids: string[]): Promise<FileTable[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('files').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  /** Whether this content at this output path of the session already became a File. */
  async hasOutput(sessionId: string, path: string, sha256: string): Promise<boolean> {
    const row = await this.db.selectFrom('session_outputs').select('file_id').where('session_id', '=', sessionId).where('path', '=', path).where('sha256', '=', sha256).executeTakeFirst();
    return row !== undefined;
  }

  async insertOutput(row: SessionOutputTable): Promise<void> {
    await this.db.insertInto('session_outputs').values(row).execute();
  }

  /** Removes the row; false when there was none. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('files').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** How many files (of any tenant) keep the blob `sha256`. */
  async countHolding(sha256: string): Promise<number> {
    const row = await this.db.selectFrom('files').select((eb) => eb.fn.countAll<number>().as('n')).where('sha256', '=', sha256).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Newest first, keyset-paged; `before` walks towards newer rows and still returns newest first. */
  async list(tenantId: string, q: FileListOptions): Promise<FileRowPage> {
    const cursor = decodeCursor(q.page, 'desc');
    const after = cursor ?? (q.after && { k: q.after.created_at, id: q.after.id });
    let query = this.db.selectFrom('files').selectAll().where('tenant_id', '=', tenantId);
    if (q.scopeId !== undefined) query = query.where('scope_id', '=', q.scopeId);
    if (q.before && !after) {
      const b = q.before;
      const newer = await keysetPage(query, { key: 'created_at', id: 'id', after: { k: b.created_at, id: b.id }, dir: 'asc', limit: q.limit }).execute();
      const rows = newer.slice(0, q.limit).reverse();
      return { rows, next_page: null, has_more: newer.length > q.limit };
    }
    const rows = await keysetPage(query, { key: 'created_at', id: 'id', after, dir: 'desc', limit: q.limit }).execute();
    const page = toPage(rows, { limit: q.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, (r) => r);
    return { rows: page.data, has_more: page.next_page !== null, next_page: page.next_page };
  }
}
