/**
 * GET /v1/sessions pages by keyset (created_at, id): walking next_page, then prev_page back, in
 * both orders, visits every session exactly once in order, including runs of sessions created in
 * the same millisecond (the id breaks the tie) and other tenants' and archived sessions left out.
 * The page after a cursor is an index range on both databases (the plan names the bound), so the
 * 50th page does not read the 49 before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { capturingDb, explain } from '../support/query-plan.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { SessionsRepository, type SessionListQuery } from '../../src/store/sessions-repository.ts';
import { sessionRow } from '../../bench/databases.ts';

const TENANT = 't_pages';
/** 23 sessions over 7 distinct milliseconds (runs of up to 4 ties), ids not in created order. */
const ROWS = Array.from({ length: 23 }, (_, i) => ({ id: `sesn_${String((i * 7) % 23).padStart(2, '0')}`, created_at: 1000 + Math.floor(i / 4) }));

function expected(order: 'asc' | 'desc'): string[] {
  const sorted = [...ROWS].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)).map((r) => r.id);
  return order === 'asc' ? sorted : sorted.reverse();
}

describe.each(BACKENDS)('session list pages (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    for (const r of ROWS) await store.sessions.insert(sessionRow(r.id, TENANT, { created_at: r.created_at, updated_at: r.created_at }));
    await store.sessions.insert(sessionRow('sesn_other_tenant', 't_else', { created_at: 1002 }));
    await store.sessions.insert(sessionRow('sesn_archived', TENANT, { created_at: 1002, archived_at: 2000 }));
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const query = (order: 'asc' | 'desc', page?: string): SessionListQuery => ({ limit: 3, order, page, includeArchived: false });

  for (const order of ['desc', 'asc'] as const) {
    it(`walks every session once forward and back again (${order})`, async () => {
      const pages: string[][] = [];
      let page = await store.sessions.list(TENANT, query(order));
      expect(page.prev_page).toBeNull();
      pages.push(page.rows.map((r) => r.id));
      while (page.next_page) {
        page = await store.sessions.list(TENANT, query(order, page.next_page));
        pages.push(page.rows.map((r) => r.id));
      }
      expect(pages.flat()).toEqual(expected(order));
      // Back from the last page: each prev_page gives the page before, the same rows in the same order.
      for (let i = pages.length - 2; i >= 0; i--) {
        expect(page.prev_page).not.toBeNull();
        page = await store.sessions.list(TENANT, query(order, page.prev_page!));
        expect(page.rows.map((r) => r.id)).toEqual(pages[i]);
      }
      expect(page.prev_page).toBeNull();
    });
  }

  it('bounds the page after a cursor in the index, not with a filter', async () => {
    // The repository's own statement for a second page, captured on its way to the database.
    const { db: spy, captured } = capturingDb(store);
    const first = await store.sessions.list(TENANT, query('desc'));
    await new SessionsRepository(spy).list(TENANT, query('desc', first.next_page!));
    const compiled = captured.at(-1)!;
    const plan = await explain(store, backend, compiled);
    expect(plan).toMatch(/sessions_tenant_created/);
    expect(plan).toMatch(backend === 'sqlite' ? /\(created_at,id\)<\(\?,\?\)/ : /Index Cond: .*ROW\(created_at, id\) < ROW\(/);
    expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
  });
});
