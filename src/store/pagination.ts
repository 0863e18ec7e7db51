/**
 * Opaque keyset cursors. A cursor names the last row of a page (sort key + id) and the order it was
 * produced with, so reusing it with another order is refused. Pages are fetched with limit + 1 rows
 * so next_page is non-null only when another row really exists.
 *
 * Every list pages through `keysetPage`: the bound after a cursor is one row-value comparison,
 * (key, id) < (k, id), which both SQLite and Postgres turn into a range on an index ending in
 * (key, id) after the list's equality filters (migration 61), so any page costs what the first
 * does. The equivalent `key < k OR (key = k AND id < id)` is a filter, not a range: SQLite and
 * Postgres read the list from its start up to the cursor.
 */
import { sql, type SelectQueryBuilder, type StringReference } from 'kysely';
import { InvalidRequestError } from '../errors.ts';

export interface Cursor {
  /** Sort key of the boundary row (epoch ms or sequence). */
  k: number;
  /** Id of the boundary row (tie breaker). */
  id: string;
  /** Order the cursor belongs to. */
  o: 'asc' | 'desc';
  /** Direction: next (default) or previous page. */
  d?: 'prev';
}

export function encodeCursor(cursor: Cursor): string {
  return `page_${Buffer.from(JSON.stringify(cursor)).toString('base64url')}`;
}

export function decodeCursor(page: string | undefined, order: 'asc' | 'desc'): Cursor | undefined {
  if (page === undefined) return undefined;
  let cursor: Cursor;
  try {
    cursor = JSON.parse(Buffer.from(page.replace(/^page_/, ''), 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new InvalidRequestError(`page: ${JSON.stringify(page)} is not a cursor returned by this endpoint`);
  }
  if (typeof cursor?.k !== 'number' || typeof cursor.id !== 'string' || (cursor.o !== 'asc' && cursor.o !== 'desc')) {
    throw new InvalidRequestError(`page: ${JSON.stringify(page)} is not a cursor returned by this endpoint`);
  }
  if (cursor.o !== order) throw new InvalidRequestError(`page: this cursor was made with order=${cursor.o}; repeat the query with order=${cursor.o} or start again without page`);
  return cursor;
}

export interface Page<T> {
  data: T[];
  next_page: string | null;
}

/** Splits limit + 1 fetched rows into a page and its next cursor. */
export function toPage<R, T>(rows: R[], page: { limit: number; order: 'asc' | 'desc'; key: (row: R) => { k: number; id: string } }, map: (row: R) => T): Page<T> {
  const { limit, order, key } = page;
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(map),
    next_page: rows.length > limit && last ? encodeCursor({ ...key(last), o: order }) : null,
  };
}

/** A page of rows in `dir` order of (key, id) after the row `after` names (exclusive): limit + 1 rows. */
export function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: { key: StringReference<DB, TB>; id?: StringReference<DB, TB>; after: { k: number | string; id: string } | undefined; dir: 'asc' | 'desc'; limit: number },
): SelectQueryBuilder<DB, TB, O> {
  const { key, id, after, dir } = page;
  const op = sql.raw(dir === 'desc' ? '<' : '>');
  let q = query;
  if (after) q = q.where(id === undefined ? sql<boolean>`${sql.ref(key)} ${op} ${after.k}` : sql<boolean>`(${sql.ref(key)}, ${sql.ref(id)}) ${op} (${after.k}, ${after.id})`);
  q = q.orderBy(sql.ref(key), dir);
  if (id !== undefined) q = q.orderBy(sql.ref(id), dir);
  return q.limit(page.limit + 1);
}
