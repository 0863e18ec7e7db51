/**
 * GET /v1/memory_stores/{id}/memories pages by path, bytewise, reading index ranges
 * (memories.page) instead of every path below the prefix: walking next_page at several limits,
 * depths and prefixes lists exactly what sorting every path bytewise and rolling it up lists,
 * including a directory larger than a page (read past with a seek) and paths whose bytewise order
 * is not a locale's ("/B" before "/a", "-" and "." before "/", "é" after "z"). The read is a range
 * on memories_store_path with no sort on both databases; on Postgres the column is COLLATE "C".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { capturingDb, explain } from '../support/query-plan.ts';
import { Store } from '../../src/store/store.ts';

const PATHS = [
  '/a.md', '/a-b/y.md', '/a/x.md', '/a/y/z.md', '/a0.md', '/B.md', '/cafe/x.md', '/café/x.md', '/zz.md',
  ...Array.from({ length: 12 }, (_, i) => `/big/f${String(i).padStart(2, '0')}.md`),
  '/big/sub/1.md', '/big/sub/2.md', '/big/sub/deeper/3.md', '/n/1/2/3.md', '/n/1/4.md',
];

/** What the list must give: every path below `prefix`, bytewise, rolled up at `depth`, each directory once. */
function expected(prefix: string, depth: number): string[] {
  const sorted = PATHS.filter((p) => p.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: string[] = [];
  for (const path of sorted) {
    const rest = path.slice(prefix.length).split('/');
    const item = depth > 0 && rest.length > depth ? `prefix:${prefix}${rest.slice(0, depth).join('/')}/` : `memory:${path}`;
    if (out.at(-1) !== item) out.push(item);
  }
  return out;
}

describe.each(BACKENDS)('memory list pages (%s)', (backend) => {
  let t: TestServer;
  let storeId: string;
  beforeAll(async () => {
    t = await startTestServer(backend);
    const ms = t.client.beta.memoryStores;
    storeId = (await ms.create({ name: 'pages' })).id;
    for (const path of PATHS) await ms.memories.create(storeId, { path, content: path });
    const other = (await ms.create({ name: 'other' })).id;
    await ms.memories.create(other, { path: '/a/other-store.md', content: 'x' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  for (const prefix of ['/', '/a/', '/big/', '/n/1/']) {
    for (const depth of [0, 1, 2]) {
      it(`path_prefix ${prefix} depth ${depth}: every limit walks the same items in bytewise order`, async () => {
        for (const limit of [1, 2, 5, 100]) {
          const items: string[] = [];
          let page: string | undefined;
          for (;;) {
            const p = await t.client.beta.memoryStores.memories.list(storeId, { path_prefix: prefix, depth, limit, page });
            expect(p.data.length).toBeLessThanOrEqual(limit);
            if (p.next_page) expect(p.data.length).toBe(limit);
            items.push(...p.data.map((i) => `${i.type === 'memory_prefix' ? 'prefix' : 'memory'}:${i.path}`));
            if (!p.next_page) break;
            page = p.next_page;
          }
          expect(items, `limit ${limit}`).toEqual(expected(prefix, depth));
        }
      });
    }
  }

  it('reads a range on memories_store_path in path order, without a sort', async () => {
    const store = t.server.services.store;
    const { db: spy, captured } = capturingDb(store);
    const rows = await new Store(store.dialect, spy).memories.page('tenant_test', storeId, { from: '/big/f03.md', after: true, below: '/big0', limit: 4 });
    expect(rows.map((r) => r.path)).toEqual(['/big/f04.md', '/big/f05.md', '/big/f06.md', '/big/f07.md']);
    const plan = await explain(store, backend, captured.at(-1)!);
    expect(plan).toMatch(backend === 'sqlite' ? /memories USING INDEX memories_store_path \(memory_store_id=\? AND path>\? AND path<\?\)/ : /memories_store_path[\s\S]*Index Cond: .*path > .*path < /);
    expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
    if (backend === 'postgres') {
      const { rows: columns } = await sql<{ collation_name: string }>`SELECT collation_name FROM information_schema.columns WHERE table_name = 'memories' AND column_name = 'path'`.execute(store.db);
      expect(columns[0]?.collation_name).toBe('C');
    }
  });
});
