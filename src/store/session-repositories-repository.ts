/** SQL for github_repository resources' server-side state (tokens sealed by the caller). Scoped by tenant. */
import type { Kysely } from 'kysely';
import type { Database, SessionRepositoryTable } from './schema.ts';

export class SessionRepositoriesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertMany(rows: SessionRepositoryTable[]): Promise<void> {
    if (rows.length > 0) await this.db.insertInto('session_repositories').values(rows).execute();
  }

  find(tenantId: string, id: string): Promise<SessionRepositoryTable | undefined> {
    return this.db.selectFrom('session_repositories').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  listForSession(tenantId: string, sessionId: string): Promise<SessionRepositoryTable[]> {
    return this.db.selectFrom('session_repositories').selectAll().where('session_id', '=', sessionId).where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
  }

  async setToken(tenantId: string, id: string, sealedToken: string, now: number): Promise<void> {
    await this.db.updateTable('session_repositories').set({ authorization_token: sealedToken, updated_at: now }).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async markCloned(tenantId: string, id: string, now: number): Promise<void> {
    await this.db.updateTable('session_repositories').set({ cloned_at: now, updated_at: now }).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.db.deleteFrom('session_repositories').where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }
}
