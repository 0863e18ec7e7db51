/** SQL for the `remote_sandboxes` table: which provider sandbox belongs to which session (migration 50). */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RemoteSandboxTable } from './schema.ts';

export type RemoteSandboxRow = Selectable<RemoteSandboxTable>;

export class RemoteSandboxesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(sessionId: string): Promise<RemoteSandboxRow | undefined> {
    return this.db.selectFrom('remote_sandboxes').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  }

  /** Records that `instance` is creating the session's sandbox (replacing a row whose sandbox is gone). */
  async markCreating(row: Omit<RemoteSandboxRow, 'sandbox_id' | 'state'>): Promise<void> {
    const values = { ...row, sandbox_id: null, state: 'creating' };
    await this.db
      .insertInto('remote_sandboxes')
      .values(values)
      .onConflict((oc) => oc.column('session_id').doUpdateSet({ provider: row.provider, sandbox_id: null, state: 'creating', instance_id: row.instance_id, created_at: row.created_at, last_used_at: row.last_used_at }))
      .execute();
  }

  async markReady(sessionId: string, sandboxId: string, instanceId: string, now: number): Promise<void> {
    await this.db.updateTable('remote_sandboxes').set({ sandbox_id: sandboxId, state: 'ready', instance_id: instanceId, last_used_at: now }).where('session_id', '=', sessionId).execute();
  }

  /** The instance now attached, and the time of use (also the idle timeout's clock). */
  async touch(sessionId: string, instanceId: string, now: number): Promise<void> {
    await this.db.updateTable('remote_sandboxes').set({ instance_id: instanceId, last_used_at: now }).where('session_id', '=', sessionId).execute();
  }

  /** Deletes the row if it still names `sandboxId` (null: whatever it names). */
  async remove(sessionId: string, sandboxId: string | null): Promise<void> {
    let query = this.db.deleteFrom('remote_sandboxes').where('session_id', '=', sessionId);
    if (sandboxId !== null) query = query.where('sandbox_id', '=', sandboxId);
    await query.execute();
  }

  list(provider: string, deploymentId: string): Promise<RemoteSandboxRow[]> {
    return this.db.selectFrom('remote_sandboxes').selectAll().where('provider', '=', provider).where('deployment_id', '=', deploymentId).orderBy('session_id').execute();
  }
}
