/**
 * Opaque keyset cursors. A cursor names the last row of a page (sort key + id) and the order it was
 * produced with, so reusing it with another order is refused. Pages are fetched with limit + 1 rows
 * so next_page is non-null only when another row really exists.
 */
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
