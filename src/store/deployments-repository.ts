/** SQL for deployments. Every API query is scoped by tenant; the scheduler's `due` spans tenants. */
import type { Kysely } from 'kysely';
import type { Database, DeploymentTable } from './schema.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';

export interface DeploymentListQuery {
  limit: number;
  page?: string;
  includeArchived: boolean;
  status?: 'active' | 'paused';
  agentId?: string;
  createdGte?: number;
  createdLte?: number;
}

export type DeploymentPatch = Partial<Omit<DeploymentTable, 'id' | 'tenant_id' | 'created_at'>>;

export class DeploymentsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: DeploymentTable): Promise<void> {
    await this.db.insertInto('deployments').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<DeploymentTable | undefined> {
    return this.db.selectFrom('deployments').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  async update(tenantId: string, id: string, patch: DeploymentPatch): Promise<void> {
    await this.db.updateTable('deployments').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /** Active, unarchived deployments whose next slot is due (any tenant), oldest slot first. */
  due(now: number, limit: number): Promise<DeploymentTable[]> {
    return this.db.selectFrom('deployments').selectAll()
      .where('next_fire_at', 'is not', null).where('next_fire_at', '<=', now)
      .where('status', '=', 'active').where('archived_at', 'is', null)
      .orderBy('next_fire_at', 'asc').limit(limit).execute();
  }

  /**
   * The claim of a due slot: moves next_fire_at from the value this instance read to the slot
   * after now, only if nobody moved it meanwhile. Exactly one instance sees `true` per slot.
   */
  async advanceSlot(id: string, expected: number, patch: { next_fire_at: number | null; last_run_at?: number }): Promise<boolean> {
    const res = await this.db.updateTable('deployments').set(patch)
      .where('id', '=', id).where('next_fire_at', '=', expected)
      .where('status', '=', 'active').where('archived_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async list(tenantId: string, q: DeploymentListQuery): Promise<Page<DeploymentTable>> {
    const cursor = decodeCursor(q.page, 'desc');
    let sel = this.db.selectFrom('deployments').selectAll().where('tenant_id', '=', tenantId);
    if (!q.includeArchived) sel = sel.where('archived_at', 'is', null);
    if (q.status) sel = sel.where('status', '=', q.status);
    if (q.agentId) sel = sel.where('agent_id', '=', q.agentId);
    if (q.createdGte !== undefined) sel = sel.where('created_at', '>=', q.createdGte);
    if (q.createdLte !== undefined) sel = sel.where('created_at', '<=', q.createdLte);
    const rows = await keysetPage(sel, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: q.limit }).execute();
    return toPage(rows, { limit: q.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, (r) => r);
  }
}
