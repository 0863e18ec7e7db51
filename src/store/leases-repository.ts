/**
 * Session leases: which instance advances a session, until when, with a fencing token that grows
 * on every takeover. A writer whose token is no longer current is refused (see EventLog.append).
 */
import type { Kysely } from 'kysely';
import type { Database, SessionLeaseTable } from './schema.ts';

export class LeasesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(sessionId: string): Promise<SessionLeaseTable | undefined> {
    return this.db.selectFrom('session_leases').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  }

  /** Must run in a transaction. Takes the lease if free, expired or already ours; returns it or undefined. */
  async acquire(sessionId: string, owner: string, now: number, ttlMs: number): Promise<SessionLeaseTable | undefined> {
    const current = await this.find(sessionId);
    if (!current) {
      const lease = { session_id: sessionId, owner, token: 1, expires_at: now + ttlMs };
      // Another instance may insert the first lease at the same moment: then it is theirs.
      const res = await this.db.insertInto('session_leases').values(lease).onConflict((oc) => oc.column('session_id').doNothing()).executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0) === 1 ? lease : undefined;
    }
    if (current.owner !== owner && current.expires_at > now) return undefined;
    const lease = { session_id: sessionId, owner, token: Number(current.token) + 1, expires_at: now + ttlMs };
    const res = await this.db
      .updateTable('session_leases')
      .set({ owner, token: lease.token, expires_at: lease.expires_at })
      .where('session_id', '=', sessionId)
      .where('token', '=', current.token)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? lease : undefined;
  }

  /**
   * Must run in the transaction of a write made under the lease: true while (owner, token) is
   * still current. It is an UPDATE (of nothing) so that on Postgres it locks the lease row until
   * commit: a takeover (`acquire`) waits for this write to commit instead of slipping in between
   * the check and the commit, so no write of a superseded owner lands after a takeover.
   */
  async holds(sessionId: string, owner: string, token: number): Promise<boolean> {
    const res = await this.db.updateTable('session_leases').set({ token }).where('session_id', '=', sessionId).where('owner', '=', owner).where('token', '=', token).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Extends a lease we hold; false when it was lost (another owner took over). */
  async renew(sessionId: string, owner: string, token: number, expiresAt: number): Promise<boolean> {
    const res = await this.db.updateTable('session_leases').set({ expires_at: expiresAt }).where('session_id', '=', sessionId).where('owner', '=', owner).where('token', '=', token).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async release(sessionId: string, owner: string, token: number): Promise<void> {
    await this.db.updateTable('session_leases').set({ expires_at: 0 }).where('session_id', '=', sessionId).where('owner', '=', owner).where('token', '=', token).execute();
  }
}
