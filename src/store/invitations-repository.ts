/** SQL for tenant invitations. Emails are stored lower-cased; callers pass them lower-cased. */
import type { Kysely } from 'kysely';
import type { Database, InvitationTable } from './schema.ts';

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked';

export class InvitationsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: InvitationTable): Promise<void> {
    await this.db.insertInto('tenant_invitations').values(row).execute();
  }

  /** The tenant's pending invitation of this address, if any (expired ones included). */
  findPending(tenantId: string, email: string): Promise<InvitationTable | undefined> {
    return this.db.selectFrom('tenant_invitations').selectAll().where('tenant_id', '=', tenantId).where('email', '=', email).where('status', '=', 'pending').executeTakeFirst();
  }

  findById(id: string): Promise<InvitationTable | undefined> {
    return this.db.selectFrom('tenant_invitations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Pending, unexpired invitations addressed to this email, newest first. */
  listForEmail(email: string, now: number): Promise<InvitationTable[]> {
    return this.db.selectFrom('tenant_invitations').selectAll().where('email', '=', email).where('status', '=', 'pending').where('expires_at', '>', now)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  /** Every invitation the tenant sent, newest first. */
  listForTenant(tenantId: string): Promise<InvitationTable[]> {
    return this.db.selectFrom('tenant_invitations').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  /** Moves a pending invitation to `status`; false when it was no longer pending (answered meanwhile). */
  async answer(id: string, status: Exclude<InvitationStatus, 'pending'>, now: number): Promise<boolean> {
    const res = await this.db.updateTable('tenant_invitations').set({ status, responded_at: now }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Expired pending invitations are closed so a fresh one may be sent. */
  async expire(tenantId: string, email: string, now: number): Promise<void> {
    await this.db.updateTable('tenant_invitations').set({ status: 'revoked', responded_at: now }).where('tenant_id', '=', tenantId).where('email', '=', email).where('status', '=', 'pending').where('expires_at', '<=', now).execute();
  }
}
