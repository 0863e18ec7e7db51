/**
 * Every keyset-paged list in the store (pagination.ts keysetPage): walking next_page visits each
 * row of its tenant (and parent) exactly once, newest first, through runs of rows created in the
 * same millisecond (the id breaks the tie), leaving out other tenants' and parents' rows and
 * archived ones; files also walk back with before_id. The page after a cursor is a range on the
 * list's index on both databases (migration 61): the plan names the index and has no sort step, so
 * the 50th page does not read the 49 before it. The sessions list has its own test
 * (session-list-pages.test.ts), as it also pages backwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { capturingDb, explain } from '../support/query-plan.ts';
import { openStore } from '../../src/store/open-store.ts';
import { Store } from '../../src/store/store.ts';
import type { Database } from '../../src/store/schema.ts';
import { sessionRow } from '../../bench/databases.ts';

const TENANT = 't_lists';
const OTHER = 't_other';
const LIMIT = 3;
/** 23 rows over 7 distinct milliseconds (runs of up to 4 ties), ids not in created order. */
const KEYS = Array.from({ length: 23 }, (_, i) => ({ n: String((i * 7) % 23).padStart(2, '0'), created_at: 1000 + Math.floor(i / 4) }));

interface Listed { ids: string[]; next: string | null }

interface ListSpec {
  name: string;
  table: keyof Database;
  /** Id prefix of the listed rows (ids are `${prefix}_NN`). */
  prefix: string;
  /** The row's columns besides filler: its id, created_at and parent/tenant. */
  row(id: string, createdAt: number, tenantId: string): Record<string, unknown>;
  /** The column that tells rows apart in the list (its tie-breaker); `id` unless set. */
  idColumn?: string;
  list(store: Store, page?: string): Promise<Listed>;
  /** The index a page after a cursor must be a range on. */
  index: string;
}

const pageOf = (p: { data: { id: string }[]; next_page: string | null }): Listed => ({ ids: p.data.map((r) => r.id), next: p.next_page });
const ARCHIVABLE = { limit: LIMIT, includeArchived: false };

const SPECS: ListSpec[] = [
  {
    name: 'agents', table: 'agents', prefix: 'agent', index: 'agents_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, version: 1 }),
    list: async (s, page) => pageOf(await s.agents.list(TENANT, { ...ARCHIVABLE, page })),
  },
  {
    name: 'environments', table: 'environments', prefix: 'env', index: 'environments_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, is_default: 0 }),
    list: async (s, page) => pageOf(await s.environments.list(TENANT, { ...ARCHIVABLE, page })),
  },
  {
    name: 'vaults', table: 'vaults', prefix: 'vlt', index: 'vaults_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at }),
    list: async (s, page) => pageOf(await s.vaults.list(TENANT, { ...ARCHIVABLE, page })),
  },
  {
    name: 'credentials', table: 'vault_credentials', prefix: 'vcrd', index: 'vault_credentials_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, vault_id: tenant_id === TENANT ? 'vlt_parent' : 'vlt_other' }),
    list: async (s, page) => pageOf(await s.vaults.listCredentials(TENANT, 'vlt_parent', { ...ARCHIVABLE, page })),
  },
  {
    name: 'memory stores', table: 'memory_stores', prefix: 'memstore', index: 'memory_stores_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at }),
    list: async (s, page) => pageOf(await s.memoryStores.list(TENANT, { ...ARCHIVABLE, page })),
  },
  {
    name: 'memory versions', table: 'memory_versions', prefix: 'memver', index: 'memory_versions_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, memory_store_id: tenant_id === TENANT ? 'memstore_parent' : 'memstore_other', memory_id: 'mem_one', operation: 'created' }),
    list: async (s, page) => {
      const p = await s.memoryVersions.list(TENANT, 'memstore_parent', { limit: LIMIT, page });
      return { ids: p.rows.map((r) => r.id), next: p.next_page };
    },
  },
  {
    name: 'memory versions of one memory', table: 'memory_versions', prefix: 'memver', index: 'memory_versions_memory_keyset',
    row: () => ({}),
    list: async (s, page) => {
      const p = await s.memoryVersions.list(TENANT, 'memstore_parent', { limit: LIMIT, page, memoryId: 'mem_one' });
      return { ids: p.rows.map((r) => r.id), next: p.next_page };
    },
  },
  {
    name: 'model cards', table: 'model_cards', prefix: 'mc', index: 'model_cards_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, is_default: 0 }),
    list: async (s, page) => pageOf(await s.modelCards.list(TENANT, { limit: LIMIT, page })),
  },
  {
    name: 'webhooks', table: 'webhooks', prefix: 'wh', index: 'webhooks_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at }),
    list: async (s, page) => pageOf(await s.webhooks.list(TENANT, { limit: LIMIT, page })),
  },
  {
    name: 'webhook deliveries', table: 'webhook_deliveries', prefix: 'whdel', index: 'webhook_deliveries_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, webhook_id: tenant_id === TENANT ? 'wh_parent' : 'wh_other', event_id: 'whevt_one' }),
    list: async (s, page) => pageOf(await s.webhooks.listDeliveries(TENANT, 'wh_parent', { limit: LIMIT, page })),
  },
  {
    name: 'deployments', table: 'deployments', prefix: 'depl', index: 'deployments_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, status: 'active' }),
    list: async (s, page) => pageOf(await s.deployments.list(TENANT, { ...ARCHIVABLE, page })),
  },
  {
    name: 'deployment runs', table: 'deployment_runs', prefix: 'drun', index: 'deployment_runs_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, deployment_id: tenant_id === TENANT ? 'depl_parent' : 'depl_other', state: 'succeeded', planned_session_id: `sesn_${id}` }),
    list: async (s, page) => pageOf(await s.deploymentRuns.list(TENANT, { limit: LIMIT, page })),
  },
  {
    name: 'deployment runs of one deployment', table: 'deployment_runs', prefix: 'drun', index: 'deployment_runs_deployment_keyset',
    row: () => ({}),
    list: async (s, page) => pageOf(await s.deploymentRuns.list(TENANT, { limit: LIMIT, page, deploymentId: 'depl_parent' })),
  },
  {
    name: 'skills', table: 'skills', prefix: 'skill', index: 'skills_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at }),
    list: async (s, page) => pageOf(await s.skills.list(TENANT, { limit: LIMIT, page })),
  },
  {
    name: 'skill versions', table: 'skill_versions', prefix: 'v', idColumn: 'version', index: 'skill_versions_keyset',
    row: (version, created_at, tenant_id) => ({ version, tenant_id, created_at, skill_id: tenant_id === TENANT ? 'skill_parent' : 'skill_other' }),
    list: async (s, page) => {
      const p = await s.skills.listVersions(TENANT, 'skill_parent', { limit: LIMIT, page });
      return { ids: p.data.map((r) => r.version), next: p.next_page };
    },
  },
  {
    name: 'files', table: 'files', prefix: 'file', index: 'files_keyset',
    row: (id, created_at, tenant_id) => ({ id, tenant_id, created_at, scope_id: 'sesn_scope' }),
    list: async (s, page) => {
      const p = await s.files.list(TENANT, { limit: LIMIT, page });
      return { ids: p.rows.map((r) => r.id), next: p.next_page };
    },
  },
  {
    name: 'files of one scope', table: 'files', prefix: 'file', index: 'files_scope_keyset',
    row: () => ({}),
    list: async (s, page) => {
      const p = await s.files.list(TENANT, { limit: LIMIT, page, scopeId: 'sesn_scope' });
      return { ids: p.rows.map((r) => r.id), next: p.next_page };
    },
  },
];

/** The listed ids, newest first: created_at descending, then the tie-breaker descending; then the parent row a child list needs, if listed (created at 1). */
function expected(spec: ListSpec): string[] {
  const rows = [...KEYS].sort((a, b) => b.created_at - a.created_at || (a.n < b.n ? 1 : -1)).map((k) => `${spec.prefix}_${k.n}`);
  return ['webhooks', 'skills'].includes(spec.table) ? [...rows, `${spec.prefix}_parent`] : rows;
}

describe.each(BACKENDS)('list pages (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    // Columns no list reads get filler of their type ('{}' also parses as the JSON columns).
    const tables = await store.db.introspection.getTables();
    async function insert(table: keyof Database, values: Record<string, unknown>): Promise<void> {
      const meta = tables.find((t) => t.name === table)!;
      const row: Record<string, unknown> = {};
      for (const c of meta.columns) {
        if (c.isNullable || c.hasDefaultValue) continue;
        row[c.name] = /int|numeric/i.test(c.dataType) ? 0 : ['name', 'display_name'].includes(c.name) ? String(values.id ?? values.version) : '{}';
      }
      await store.db.insertInto(table).values({ ...row, ...values } as never).execute();
    }
    // Parents of the child lists, in both tenants (archived where their own list can leave them out).
    for (const [tenant, suffix] of [[TENANT, 'parent'], [OTHER, 'other']] as const) {
      await insert('vaults', { id: `vlt_${suffix}`, tenant_id: tenant, created_at: 1, archived_at: 1 });
      await insert('webhooks', { id: `wh_${suffix}`, tenant_id: tenant, created_at: 1 });
      await insert('skills', { id: `skill_${suffix}`, tenant_id: tenant, created_at: 1 });
      await insert('memory_stores', { id: `memstore_${suffix}`, tenant_id: tenant, created_at: 1, archived_at: 1 });
      await insert('deployments', { id: `depl_${suffix}`, tenant_id: tenant, created_at: 1, status: 'active', archived_at: 1 });
    }
    await insert('webhook_events', { id: 'whevt_one', tenant_id: TENANT, created_at: 1 });
    for (const spec of SPECS) {
      if (Object.keys(spec.row('x', 0, TENANT)).length === 0) continue; // a filtered variant of the list above
      for (const k of KEYS) {
        const id = `${spec.prefix}_${k.n}`;
        // One event per delivery: (webhook_id, event_id) is unique.
        const own = spec.table === 'webhook_deliveries' ? { event_id: `whevt_${id}` } : {};
        if (spec.table === 'webhook_deliveries') await insert('webhook_events', { id: `whevt_${id}`, tenant_id: TENANT, created_at: 1 });
        await insert(spec.table, { ...spec.row(id, k.created_at, TENANT), ...own });
        if (spec.table === 'agents') await insert('agent_versions', { agent_id: id, version: 1, tenant_id: TENANT, created_at: k.created_at });
      }
      // Rows that must stay out of the list: another tenant's (or parent's), in the listed range.
      const outsider = `${spec.prefix}_zz_other`;
      await insert(spec.table, { ...spec.row(outsider, 1002, OTHER), ...(spec.table === 'webhook_deliveries' ? { event_id: 'whevt_one' } : {}) });
      if (spec.table === 'agents') await insert('agent_versions', { agent_id: outsider, version: 1, tenant_id: OTHER, created_at: 1002 });
    }
    // Archived rows the archivable lists leave out.
    for (const table of ['agents', 'environments', 'vaults', 'vault_credentials', 'memory_stores'] as const) {
      const spec = SPECS.find((s) => s.table === table)!;
      const id = `${spec.prefix}_zz_archived`;
      await insert(table, { ...spec.row(id, 1002, TENANT), archived_at: 2000 });
      if (table === 'agents') await insert('agent_versions', { agent_id: id, version: 1, tenant_id: TENANT, created_at: 1002 });
    }
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  for (const spec of SPECS) {
    it(`${spec.name}: next_page walks every row once, newest first, ties broken by ${spec.idColumn ?? 'id'}`, async () => {
      const pages: string[][] = [];
      let page = await spec.list(store);
      pages.push(page.ids);
      while (page.next) {
        page = await spec.list(store, page.next);
        pages.push(page.ids);
      }
      expect(pages.length).toBe(Math.ceil(expected(spec).length / LIMIT));
      for (const p of pages) expect(p.length).toBeGreaterThan(0);
      expect(pages.flat()).toEqual(expected(spec));
    });

    it(`${spec.name}: the page after a cursor is a range on ${spec.index}`, async () => {
      const first = await spec.list(store);
      const { db: spy, captured } = capturingDb(store);
      await spec.list(new Store(store.dialect, spy), first.next!);
      const plan = await explain(store, backend, captured.at(-1)!);
      expect(plan).toMatch(new RegExp(`\\b${spec.index}\\b`));
      expect(plan).toMatch(backend === 'sqlite' ? /\(created_at,\w+\)<\(\?,\?\)/ : /Index Cond: .*ROW\(\S*created_at, \S+\) < ROW\(/);
      expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
    });
  }

  it('files: before_id walks back from the last page to the first, each page newest first', async () => {
    const forward: { id: string; created_at: number }[][] = [];
    let after: { id: string; created_at: number } | undefined;
    for (;;) {
      const p = await store.files.list(TENANT, { limit: LIMIT, after });
      if (p.rows.length === 0) break;
      forward.push(p.rows.map((r) => ({ id: r.id, created_at: Number(r.created_at) })));
      after = forward.at(-1)!.at(-1);
      if (!p.has_more) break;
    }
    expect(forward.flat().map((r) => r.id)).toEqual(expected(SPECS.find((x) => x.table === 'files')!));
    let before = forward.at(-1)![0]!;
    for (let i = forward.length - 2; i >= 0; i--) {
      const p = await store.files.list(TENANT, { limit: LIMIT, before });
      expect(p.rows.map((r) => r.id)).toEqual(forward[i]!.map((r) => r.id));
      expect(p.has_more).toBe(i > 0);
      before = { id: p.rows[0]!.id, created_at: Number(p.rows[0]!.created_at) };
    }
  });

  it('agent versions: the page after a cursor is a range on the primary key', async () => {
    await store.db.insertInto('agents').values({ id: 'agent_v', tenant_id: TENANT, name: 'agent_v', version: 5, created_at: 1, updated_at: 1, archived_at: null }).execute();
    for (let v = 1; v <= 5; v++) await store.db.insertInto('agent_versions').values({ agent_id: 'agent_v', version: v, tenant_id: TENANT, config: '{}', created_at: 1 }).execute();
    const agent = (await store.agents.find(TENANT, 'agent_v'))!;
    const versions: number[] = [];
    let page: string | undefined;
    const { db: spy, captured } = capturingDb(store);
    do {
      const p = await new Store(store.dialect, spy).agents.listVersions(TENANT, agent, { limit: 2, page });
      versions.push(...p.data.map((a) => a.version));
      page = p.next_page ?? undefined;
    } while (page);
    expect(versions).toEqual([5, 4, 3, 2, 1]);
    const plan = await explain(store, backend, captured.at(-1)!);
    expect(plan).toMatch(backend === 'sqlite' ? /agent_versions USING PRIMARY KEY \(agent_id=\? AND version<\?\)|sqlite_autoindex_agent_versions_1 \(agent_id=\? AND version<\?\)/ : /agent_versions_pkey/);
    expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
  });

  it('session events: a page after a seq is a range on the primary key', async () => {
    await store.sessions.insert(sessionRow('sesn_events', TENANT, { created_at: 1 }));
    const { db: spy, captured } = capturingDb(store);
    await new Store(store.dialect, spy).events.list(TENANT, 'sesn_events', { afterSeq: 10, order: 'asc', limit: 100 });
    const plan = await explain(store, backend, captured.at(-1)!);
    expect(plan).toMatch(backend === 'sqlite' ? /sqlite_autoindex_session_events_\d \(session_id=\? AND seq>\?\)/ : /session_events_pkey/);
    expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
  });
});
