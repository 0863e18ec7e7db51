/** SQL for tenants and memberships. */
import type { Kysely } from 'kysely';
import type { Database, MembershipTable, TenantTable } from './schema.ts';

export class TenantsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async ensure(id: string, name: string, now: number): Promise<void> {
    await this.db.insertInto('tenant').values({ id, name, created_at: now }).onConflict((oc) => oc.column('id').doNothing()).execute();
  }

  find(id: string): Promise<TenantTable | undefined> {
    return this.db.selectFrom('tenant').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async addMember(row: MembershipTable): Promise<void> {
    await this.db.insertInto('membership').values(row).onConflict((oc) => oc.columns(['tenant_id', 'user_id']).doNothing()).execute();
  }

  findMembership(tenantId: string, userId: string): Promise<MembershipTable | undefined> {
    return this.db.selectFrom('membership').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
  }

  listMemberships(userId: string): Promise<MembershipTable[]> {
    return this.db.selectFrom('membership').selectAll().where('user_id', '=', userId).orderBy('created_at', 'asc').execute();
  }

  listMembers(tenantId: string): Promise<MembershipTable[]> {
    return this.db.selectFrom('membership').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'asc').orderBy('user_id', 'asc').execute();
  }
}
