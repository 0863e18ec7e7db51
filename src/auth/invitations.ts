/**
 * Invitations into a tenant (issue #24, finding 10): an owner invites an email address; the person
 * signed in with that address sees the invitation and accepts or declines it. Nothing an owner sees
 * depends on whether the address has an account, so inviting cannot probe for users. An invitation
 * someone else can see or answer is a 404, exactly like an unknown id.
 */
import { ConflictError, NotFoundError } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import { toIso } from '../lib/time.ts';
import type { InvitationTable } from '../store/schema.ts';
import type { Store } from '../store/store.ts';

/** How long an invitation may be answered. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface Invitee {
  id: string;
  email: string;
}

const normalise = (email: string): string => email.trim().toLowerCase();

export function toWireInvitation(row: InvitationTable, tenantName: string | undefined) {
  const expired = row.status === 'pending' && row.expires_at <= Date.now();
  return {
    type: 'invitation' as const,
    id: row.id,
    tenant_id: row.tenant_id,
    tenant_name: tenantName ?? row.tenant_id,
    email: row.email,
    role: row.role === 'owner' ? ('owner' as const) : ('member' as const),
    status: expired ? ('expired' as const) : (row.status as 'pending' | 'accepted' | 'declined' | 'revoked'),
    created_at: toIso(row.created_at)!,
    expires_at: toIso(row.expires_at)!,
    responded_at: toIso(row.responded_at),
  };
}

/**
 * Creates a pending invitation. Throws ConflictError when the address already has one pending here,
 * or belongs to a member (`memberEmails`: the tenant's member addresses, which the owner can list anyway).
 */
export async function createInvitation(store: Store, options: { tenantId: string; email: string; role: 'owner' | 'member'; invitedBy?: string; memberEmails: string[] }): Promise<InvitationTable> {
  const email = normalise(options.email);
  if (options.memberEmails.map(normalise).includes(email)) throw new ConflictError(`${email} is already a member of this tenant`);
  const now = Date.now();
  return store.transaction(async (tx) => {
    await tx.invitations.expire(options.tenantId, email, now);
    if (await tx.invitations.findPending(options.tenantId, email)) throw new ConflictError(`${email} already has a pending invitation to this tenant; revoke it first to change the role`);
    const row: InvitationTable = {
      id: newId('invite'), tenant_id: options.tenantId, email, role: options.role, invited_by: options.invitedBy ?? null,
      status: 'pending', created_at: now, expires_at: now + INVITATION_TTL_MS, responded_at: null,
    };
    await tx.invitations.insert(row);
    return row;
  });
}

/** The invitee's own pending invitation with this id, else NotFoundError (someone else's reads as unknown). */
async function ownPendingInvitation(store: Store, invitee: Invitee, id: string): Promise<InvitationTable> {
  const row = await store.invitations.findById(id);
  if (!row || row.email !== normalise(invitee.email) || row.status !== 'pending' || row.expires_at <= Date.now()) {
    throw new NotFoundError(`no pending invitation ${JSON.stringify(id)} for ${invitee.email}`);
  }
  return row;
}

/** Accepts: the invitee becomes a member with the invitation's role, in one transaction. */
export async function acceptInvitation(store: Store, invitee: Invitee, id: string): Promise<InvitationTable> {
  const row = await ownPendingInvitation(store, invitee, id);
  const now = Date.now();
  await store.transaction(async (tx) => {
    if (!(await tx.invitations.answer(id, 'accepted', now))) throw new NotFoundError(`no pending invitation ${JSON.stringify(id)} for ${invitee.email}`);
    await tx.tenants.addMember({ tenant_id: row.tenant_id, user_id: invitee.id, role: row.role, created_at: now });
  });
  return { ...row, status: 'accepted', responded_at: now };
}

export async function declineInvitation(store: Store, invitee: Invitee, id: string): Promise<InvitationTable> {
  const row = await ownPendingInvitation(store, invitee, id);
  const now = Date.now();
  if (!(await store.invitations.answer(id, 'declined', now))) throw new NotFoundError(`no pending invitation ${JSON.stringify(id)} for ${invitee.email}`);
  return { ...row, status: 'declined', responded_at: now };
}

/** An owner withdraws a pending invitation of their tenant; another tenant's id is a 404. */
export async function revokeInvitation(store: Store, tenantId: string, id: string): Promise<InvitationTable> {
  const row = await store.invitations.findById(id);
  if (!row || row.tenant_id !== tenantId) throw new NotFoundError(`invitation ${JSON.stringify(id)} not found`);
  const now = Date.now();
  if (!(await store.invitations.answer(id, 'revoked', now))) throw new ConflictError(`invitation ${id} was already ${row.status}; only a pending invitation can be revoked`);
  return { ...row, status: 'revoked', responded_at: now };
}
