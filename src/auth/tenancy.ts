/**
 * Users (better-auth, auth.db) meet tenants (main database) here: every user has a home tenant
 * they own, created at sign-up; a request acts for one of the user's tenants.
 */
import { PermissionError } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { MembershipTable } from '../store/schema.ts';
import type { Store } from '../store/store.ts';

export const TENANT_HEADER = 'x-oma-tenant';

/** The user's memberships, creating their home tenant first if they have none (idempotent). */
export async function ensureHomeTenant(store: Store, user: { id: string; email: string; name?: string | null }): Promise<MembershipTable[]> {
  const existing = await store.tenants.listMemberships(user.id);
  if (existing.length > 0) return existing;
  const now = Date.now();
  const tenantId = newId('tenant');
  await store.transaction(async (tx) => {
    await tx.tenants.ensure(tenantId, `${user.name?.trim() || user.email}'s workspace`, now);
    await tx.tenants.addMember({ tenant_id: tenantId, user_id: user.id, role: 'owner', created_at: now });
  });
  return store.tenants.listMemberships(user.id);
}

/**
 * The membership a request acts under: the one named by the x-oma-tenant header, or the user's
 * first (home) tenant. Naming a tenant the user is not a member of is refused the same way whether
 * or not that tenant exists.
 */
export function pickMembership(memberships: MembershipTable[], requested: string | undefined): MembershipTable {
  if (requested) {
    const match = memberships.find((m) => m.tenant_id === requested);
    if (!match) throw new PermissionError(`you are not a member of tenant ${requested} (${TENANT_HEADER} header)`);
    return match;
  }
  const home = memberships[0];
  if (!home) throw new PermissionError('this user belongs to no tenant');
  return home;
}
