/**
 * SQL for deployment runs: the claimed rows the scheduler works from. A run is `pending` while an
 * instance holds its claim (owner + fencing token + expiry, renewed while it works); completing,
 * renewing or taking over checks the token, so a superseded executor's write changes nothing.
 */
import type { Kysely } from 'kysely';
import type { Database, DeploymentRunTable } from './schema.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';

export interface DeploymentRunListQuery {
  limit: number;
  page?: string;
  deploymentId?: string;
  hasError?: boolean;
  triggerType?: 'schedule' | 'manual';
  createdGt?: number;
  createdGte?: number;
  createdLt?: number;
  createdLte?: number;
}

export interface RunClaim { owner: string; token: number }

export class DeploymentRunsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** False when the (deployment, scheduled slot) already has a run. */
  async insert(row: DeploymentRunTable): Promise<boolean> {
    const res = await this.db.insertInto('deployment_runs').values(row)
      .onConflict((oc) => oc.columns(['deployment_id', 'scheduled_at']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Any state (the executor's view). */
  findAny(id: string): Promise<DeploymentRunTable | undefined> {
    return this.db.selectFrom('deployment_runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A finished run of the tenant (pending runs are not visible through the API yet). */
  find(tenantId: string, id: string): Promise<DeploymentRunTable | undefined> {
    return this.db.selectFrom('deployment_runs').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).where('state', '!=', 'pending').executeTakeFirst();
  }

  /** Finishes a run under its claim; false when the claim was taken over (the new holder finishes it). */
  async complete(id: string, claim: RunClaim, patch: Pick<DeploymentRunTable, 'state' | 'session_id' | 'error' | 'completed_at'>): Promise<boolean> {
    const res = await this.db.updateTable('deployment_runs').set({ ...patch, claim_owner: null, claim_expires_at: null })
      .where('id', '=', id).where('state', '=', 'pending').where('claim_owner', '=', claim.owner).where('claim_token', '=', claim.token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Moves the claim's expiry forward while its holder works; false when the claim was taken over (or the run finished). */
  async renew(id: string, claim: RunClaim, expiresAt: number): Promise<boolean> {
    const res = await this.db.updateTable('deployment_runs').set({ claim_expires_at: expiresAt })
      .where('id', '=', id).where('state', '=', 'pending').where('claim_owner', '=', claim.owner).where('claim_token', '=', claim.token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Pending runs whose claim expired (their instance died or stalled), oldest first. */
  expired(now: number, limit: number): Promise<DeploymentRunTable[]> {
    return this.db.selectFrom('deployment_runs').selectAll().where('state', '=', 'pending').where('claim_expires_at', '<', now)
      .orderBy('claim_expires_at', 'asc').limit(limit).execute();
  }

  /** Takes an expired claim over with the next fencing token; undefined when another instance got it first. */
  async takeOver(run: DeploymentRunTable, owner: string, expiresAt: number): Promise<RunClaim | undefined> {
    const token = Number(run.claim_token) + 1;
    const res = await this.db.updateTable('deployment_runs').set({ claim_owner: owner, claim_token: token, claim_expires_at: expiresAt })
      .where('id', '=', run.id).where('state', '=', 'pending').where('claim_token', '=', run.claim_token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? { owner, token } : undefined;
  }

  async list(tenantId: string, q: DeploymentRunListQuery): Promise<Page<DeploymentRunTable>> {
    const cursor = decodeCursor(q.page, 'desc');
    let sel = this.db.selectFrom('deployment_runs').selectAll().where('tenant_id', '=', tenantId).where('state', '!=', 'pending');
    if (q.deploymentId) sel = sel.where('deployment_id', '=', q.deploymentId);
    if (q.hasError !== undefined) sel = sel.where('state', '=', q.hasError ? 'failed' : 'succeeded');
    if (q.triggerType) sel = sel.where('trigger_type', '=', q.triggerType);
    if (q.createdGt !== undefined) sel = sel.where('created_at', '>', q.createdGt);
    if (q.createdGte !== undefined) sel = sel.where('created_at', '>=', q.createdGte);
    if (q.createdLt !== undefined) sel = sel.where('created_at', '<', q.createdLt);
    if (q.createdLte !== undefined) sel = sel.where('created_at', '<=', q.createdLte);
    const rows = await keysetPage(sel, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: q.limit }).execute();
    return toPage(rows, { limit: q.limit, order: 'desc', key: (r) => ({ k: Number(r.created_at), id: r.id }) }, (r) => r);
  }
}
