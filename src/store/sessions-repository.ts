/** SQL for sessions. Every query is scoped by tenant, except the harness's recovery scan. */
import type { Kysely } from 'kysely';
import type { Database, SessionTable } from './schema.ts';
import { decodeCursor, encodeCursor, keysetPage } from './pagination.ts';

export interface SessionListQuery {
  limit: number;
  page?: string;
  order: 'asc' | 'desc';
  includeArchived: boolean;
  agentId?: string;
  agentVersion?: number;
  statuses?: string[];
  /** Sessions that attached this memory store. */
  memoryStoreId?: string;
  /** Sessions created by runs of this deployment. */
  deploymentId?: string;
  createdGt?: number; createdGte?: number; createdLt?: number; createdLte?: number;
}

export class SessionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: SessionTable): Promise<void> {
    await this.db.insertInto('sessions').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<SessionTable | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  /** Unscoped lookup for the harness, which acts for whichever tenant owns the session. */
  findAnyTenant(id: string): Promise<SessionTable | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async update(tenantId: string, id: string, patch: Partial<Omit<SessionTable, 'id' | 'tenant_id'>>): Promise<void> {
    await this.db.updateTable('sessions').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.db.deleteFrom('session_events').where('session_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('session_leases').where('session_id', '=', id).execute();
    await this.db.deleteFrom('session_memory_stores').where('session_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('session_outputs').where('session_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('session_repositories').where('session_id', '=', id).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('sessions').where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  /**
   * Sessions the harness should advance: mid-turn (running/rescheduling) or holding unprocessed
   * input, and not leased by a live worker elsewhere (no lease, an expired one, or one of `owner`'s
   * own from before a restart).
   */
  async listNeedingWork(now: number, owner: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .leftJoin('session_leases', 'session_leases.session_id', 'sessions.id')
      .select('sessions.id')
      .where('sessions.archived_at', 'is', null)
      .where((eb) => eb.or([eb('session_leases.session_id', 'is', null), eb('session_leases.expires_at', '<', now), eb('session_leases.owner', '=', owner)]))
      .where((eb) =>
        eb.or([
          eb('sessions.status', 'in', ['running', 'rescheduling']),
          eb.exists(
            eb.selectFrom('session_events')
              .select('session_events.seq')
              .whereRef('session_events.session_id', '=', 'sessions.id')
              .where('session_events.processed_at', 'is', null)
              .where('session_events.type', 'in', ['user.message', 'user.interrupt', 'user.tool_confirmation']),
          ),
        ]),
      )
      .execute();
    return rows.map((r) => r.id);
  }

  async list(tenantId: string, q: SessionListQuery): Promise<{ rows: SessionTable[]; next_page: string | null; prev_page: string | null }> {
    const cursor = decodeCursor(q.page, q.order);
    const backwards = cursor?.d === 'prev';
    let query = this.db.selectFrom('sessions').selectAll().where('tenant_id', '=', tenantId);
    if (!q.includeArchived) query = query.where('archived_at', 'is', null);
    if (q.agentId) query = query.where('agent_id', '=', q.agentId);
    if (q.agentVersion !== undefined) query = query.where('agent_version', '=', q.agentVersion);
    if (q.memoryStoreId) {
      const storeId = q.memoryStoreId;
      query = query.where('id', 'in', (eb) => eb.selectFrom('session_memory_stores').select('session_id').where('memory_store_id', '=', storeId).where('tenant_id', '=', tenantId));
    }
    if (q.deploymentId) {
      const deploymentId = q.deploymentId;
      query = query.where('id', 'in', (eb) => eb.selectFrom('deployment_runs').select('planned_session_id').where('deployment_id', '=', deploymentId).where('tenant_id', '=', tenantId).where('state', '=', 'succeeded'));
    }
    if (q.statuses) query = query.where('status', 'in', q.statuses.length ? q.statuses : ['-']);
    if (q.createdGt !== undefined) query = query.where('created_at', '>', q.createdGt);
    if (q.createdGte !== undefined) query = query.where('created_at', '>=', q.createdGte);
    if (q.createdLt !== undefined) query = query.where('created_at', '<', q.createdLt);
    if (q.createdLte !== undefined) query = query.where('created_at', '<=', q.createdLte);
    // Walking forward in desc order means "older than the cursor"; backwards flips it.
    const older = (q.order === 'desc') !== backwards;
    // A range on the (tenant_id, created_at, id) index (migration 58).
    const fetched = await keysetPage(query, { key: 'created_at', id: 'id', after: cursor, dir: older ? 'desc' : 'asc', limit: q.limit }).execute();
    const more = fetched.length > q.limit;
    let rows = fetched.slice(0, q.limit);
    if (backwards) rows = rows.reverse();
    const first = rows[0];
    const last = rows[rows.length - 1];
    const hasNext = backwards ? cursor !== undefined : more;
    const hasPrev = backwards ? more : cursor !== undefined;
    return {
      rows,
      next_page: hasNext && last ? encodeCursor({ k: last.created_at, id: last.id, o: q.order }) : null,
      prev_page: hasPrev && first ? encodeCursor({ k: first.created_at, id: first.id, o: q.order, d: 'prev' }) : null,
    };
  }
}
