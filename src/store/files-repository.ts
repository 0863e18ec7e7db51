/** SQL for files. Every query is scoped by tenant except `countHolding` (blobs are shared by content). */
import type { Kysely } from 'kysely';
import type { Database, FileTable, SessionOutputTable } from './schema.ts';
import { decodeCursor, encodeCursor } from './pagination.ts';

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
    const boundary = cursor ? { created_at: cursor.k, id: cursor.id } : q.after;
    let query = this.db.selectFrom('files').selectAll().where('tenant_id', '=', tenantId);
    if (q.scopeId !== undefined) query = query.where('scope_id', '=', q.scopeId);
    if (boundary) query = query.where((eb) => eb.or([eb('created_at', '<', boundary.created_at), eb.and([eb('created_at', '=', boundary.created_at), eb('id', '<', boundary.id)])]));
    if (q.before && !boundary) {
      const b = q.before;
      const newer = await query.where((eb) => eb.or([eb('created_at', '>', b.created_at), eb.and([eb('created_at', '=', b.created_at), eb('id', '>', b.id)])]))
        .orderBy('created_at', 'asc').orderBy('id', 'asc').limit(q.limit + 1).execute();
      const rows = newer.slice(0, q.limit).reverse();
      return { rows, next_page: null, has_more: newer.length > q.limit };
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const more = rows.length > q.limit;
    return { rows: page, has_more: more, next_page: more && last ? encodeCursor({ k: last.created_at, id: last.id, o: 'desc' }) : null };
  }
}
