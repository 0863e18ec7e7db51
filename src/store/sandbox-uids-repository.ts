/**
 * SQL for the sandbox uid ledger: one row per session holding a uid. The primary key on uid and the
 * unique session_id make two instances that pick the same free uid at once fail one insert; the
 * caller retries (SandboxUidsRepository.allocate does, within a bound).
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export class SandboxUidsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findBySession(sessionId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('sandbox_uids').select('uid').where('session_id', '=', sessionId).executeTakeFirst();
    return row === undefined ? undefined : Number(row.uid);
  }

  /** Allocated uids within [from, to), ascending. */
  async listTaken(from: number, to: number): Promise<number[]> {
    const rows = await this.db.selectFrom('sandbox_uids').select('uid').where('uid', '>=', from).where('uid', '<', to).orderBy('uid', 'asc').execute();
    return rows.map((r) => Number(r.uid));
  }

  async insert(uid: number, sessionId: string, now: number): Promise<void> {
    await this.db.insertInto('sandbox_uids').values({ uid, session_id: sessionId, allocated_at: now }).execute();
  }

  async release(sessionId: string): Promise<void> {
    await this.db.deleteFrom('sandbox_uids').where('session_id', '=', sessionId).execute();
  }
}
