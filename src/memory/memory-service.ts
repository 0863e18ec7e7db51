/**
 * Memories through the API: create, retrieve, list (prefix, depth, paging), update with a content
 * precondition, delete. Content goes to the blob store before the transaction that refers to it,
 * so a committed row never names a missing blob; a crash in between leaves only an unreferenced blob.
 */
import { InvalidRequestError, MemoryPreconditionFailedError, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { MemoryTable } from '../store/schema.ts';
import { sha256Hex, type BlobStore } from '../blobs/blob-store.ts';
import type { Memory, MemoryCreate, MemoryPrefix, MemoryUpdate, MemoryView } from '../api/schemas/memory-stores.ts';
import { assertContentSize, assertMemoryPath, assertPathPrefix, compareBytes, pastPrefix } from './memory-paths.ts';
import { toMemory } from './memory-mapper.ts';
import type { WriteActor } from './memory-actor.ts';
import { createMemoryRow, deleteMemoryRow, lockStore, modifyMemoryRow, type Content } from './memory-writes.ts';
import { decodeCursor, encodeCursor, type Page } from '../store/pagination.ts';

export interface MemoryListQuery {
  pathPrefix?: string;
  depth?: number;
  view: MemoryView;
  limit: number;
  page?: string;
}

interface Scope {
  tenantId: string;
  storeId: string;
}

export class MemoryService {
  constructor(private readonly deps: { store: Store; blobs: BlobStore }) {}

  /** Puts the content into the blob store and returns its address. */
  async putContent(content: string, field = 'content'): Promise<Content> {
    assertContentSize(content, field);
    const bytes = Buffer.from(content, 'utf8');
    const hash = sha256Hex(bytes);
    await this.deps.blobs.put(hash, bytes);
    return { hash, size: bytes.length };
  }

  async create(scope: Scope, input: MemoryCreate, actor: WriteActor, view: MemoryView): Promise<Memory> {
    assertMemoryPath(input.path);
    const content = await this.putContent(input.content ?? '');
    const row = await this.deps.store.transaction(async (tx) => {
      await lockStore(tx, scope.tenantId, scope.storeId, { write: true });
      return createMemoryRow(tx, { ...scope, path: input.path, content, actor });
    });
    return toMemory(row, view, this.deps.blobs);
  }

  async get(scope: Scope, memoryId: string, view: MemoryView): Promise<Memory> {
    return toMemory(await this.getRow(scope, memoryId), view, this.deps.blobs);
  }

  private async getRow(scope: Scope, memoryId: string, tx: Store = this.deps.store): Promise<MemoryTable> {
    if (!(await tx.memoryStores.find(scope.tenantId, scope.storeId))) throw notFound('memory store', scope.storeId);
    const row = await tx.memories.find(scope.tenantId, scope.storeId, memoryId);
    if (!row) throw notFound('memory', memoryId);
    return row;
  }

  async update(scope: Scope & { memoryId: string }, input: MemoryUpdate, actor: WriteActor, view: MemoryView): Promise<Memory> {
    const { memoryId } = scope;
    if (input.path !== undefined && input.path !== null) assertMemoryPath(input.path);
    const precondition = input.precondition ?? undefined;
    if (precondition && !precondition.content_sha256) throw new InvalidRequestError('precondition.content_sha256: is required (64 lowercase hex characters)');
    const content = input.content === undefined || input.content === null ? undefined : await this.putContent(input.content);
    const row = await this.deps.store.transaction(async (tx) => {
      await lockStore(tx, scope.tenantId, scope.storeId, { write: true });
      const current = await this.getRow(scope, memoryId, tx);
      const target = { path: input.path ?? current.path, content: content ?? { hash: current.content_sha256, size: Number(current.content_size_bytes) } };
      const alreadyThere = target.path === current.path && target.content.hash === current.content_sha256;
      if (precondition && precondition.content_sha256 !== current.content_sha256 && !alreadyThere) {
        throw new MemoryPreconditionFailedError(`memory ${memoryId} has content_sha256 ${current.content_sha256}, not ${precondition.content_sha256}: it changed since you read it; retrieve it and retry`);
      }
      return modifyMemoryRow(tx, current, { ...target, actor });
    });
    return toMemory(row, view, this.deps.blobs);
  }

  async delete(scope: Scope, memoryId: string, options: { expectedSha256?: string; actor: WriteActor }): Promise<{ id: string; type: 'memory_deleted' }> {
    await this.deps.store.transaction(async (tx) => {
      await lockStore(tx, scope.tenantId, scope.storeId, { write: false });
      const current = await this.getRow(scope, memoryId, tx);
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== current.content_sha256) {
        throw new MemoryPreconditionFailedError(`memory ${memoryId} has content_sha256 ${current.content_sha256}, not ${options.expectedSha256}: nothing was deleted; retrieve it and retry`);
      }
      await deleteMemoryRow(tx, current, options.actor);
    });
    return { id: memoryId, type: 'memory_deleted' };
  }

  /**
   * Memories below a prefix in bytewise path order; with `depth` d ≥ 1, memories more than d
   * segments below the prefix are rolled into one `memory_prefix` item per directory at depth d.
   * The cursor is the last item's path. Rows are read in path order from index ranges
   * (memories.page), seeking past a directory's contents once its item is listed, so a page reads
   * O(limit) rows in at most limit + 1 ranges, whatever the store holds around it.
   */
  async list(scope: Scope, q: MemoryListQuery): Promise<Page<Memory | MemoryPrefix>> {
    if (!(await this.deps.store.memoryStores.find(scope.tenantId, scope.storeId))) throw notFound('memory store', scope.storeId);
    const prefix = q.pathPrefix ?? '/';
    assertPathPrefix(prefix);
    const after = decodeCursor(q.page, 'asc')?.id;
    const below = pastPrefix(prefix);
    // The first read starts at the prefix, after the cursor's memory, or past the cursor's directory.
    let start = after === undefined ? { from: prefix, after: false } : after.endsWith('/') ? { from: pastPrefix(after), after: false } : { from: after, after: true };
    const items: (MemoryTable | MemoryPrefix)[] = [];
    while (items.length <= q.limit) {
      const want = q.limit + 1 - items.length;
      const rows = await this.deps.store.memories.page(scope.tenantId, scope.storeId, { ...start, below, limit: want });
      let directory: string | undefined;
      for (const row of rows) {
        if (directory !== undefined && row.path.startsWith(directory)) continue;
        const item = rollUp(row, prefix, q.depth ?? 0);
        directory = 'type' in item ? item.path : undefined;
        if (after !== undefined && compareBytes(item.path, after) <= 0) continue;
        items.push(item);
        if (items.length > q.limit) break;
      }
      if (rows.length < want || items.length > q.limit) break;
      const last = rows[rows.length - 1]!.path;
      start = directory !== undefined && last.startsWith(directory) ? { from: pastPrefix(directory), after: false } : { from: last, after: true };
    }
    const page = items.slice(0, q.limit);
    const data = await Promise.all(page.map((i) => ('type' in i ? i : toMemory(i, q.view, this.deps.blobs))));
    const last = page[page.length - 1];
    return { data, next_page: items.length > q.limit && last ? encodeCursor({ k: 0, id: last.path, o: 'asc' }) : null };
  }
}

function rollUp(row: MemoryTable, prefix: string, depth: number): MemoryTable | MemoryPrefix {
  if (depth <= 0) return row;
  const rest = row.path.slice(prefix.length).split('/');
  if (rest.length <= depth) return row;
  return { type: 'memory_prefix', path: `${prefix}${rest.slice(0, depth).join('/')}/` };
}
