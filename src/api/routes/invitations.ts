/**
 * /v1/tenant/invitations: owners invite an email address; the person signed in with it accepts or
 * declines (issue #24, finding 10). POST /v1/tenant/members, which used to add a signed-up user
 * silently, now sends an invitation too.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import { invitationCreateSchema, invitationListQuery, invitationSchema } from '../schemas/auth.ts';
import { requireOwner, requirePerson } from '../principal-checks.ts';
import { acceptInvitation, createInvitation, declineInvitation, revokeInvitation, toWireInvitation, type Invitee } from '../../auth/invitations.ts';
import type { ConsoleAuth } from '../../auth/console-auth.ts';
import { NotFoundError } from '../../errors.ts';
import type { InvitationTable } from '../../store/schema.ts';
import type { Store } from '../../store/store.ts';

export interface InvitationRouteDeps {
  store: Store;
  consoleAuth: ConsoleAuth;
}

export function mountInvitationRoutes(app: App, deps: InvitationRouteDeps): void {
  const { store, consoleAuth } = deps;
  const tag = 'Auth';
  const wire = async (rows: InvitationTable[]) => {
    const names = new Map<string, string | undefined>();
    for (const id of new Set(rows.map((r) => r.tenant_id))) names.set(id, (await store.tenants.find(id))?.name);
    return rows.map((r) => toWireInvitation(r, names.get(r.tenant_id)));
  };
  const one = async (row: InvitationTable) => (await wire([row]))[0]!;
  /** The person invitations are addressed to: the signed-in user, or a key's minting user; none for CLI keys. */
  const person = async (c: Context<AppEnv>): Promise<Invitee | undefined> => {
    const p = c.get('principal');
    const userId = p.userId ?? p.keyCreatedBy;
    const user = userId ? (await consoleAuth.findUsers([userId]))[0] : undefined;
    return user ? { id: user.id, email: user.email } : undefined;
  };
  /**
   * Answering takes the signed-in person themselves (a cookie). With anything else no invitation is
   * addressed to the caller, so the id is unknown to them, the same answer as for an id that does not exist.
   */
  const answerer = async (c: Context<AppEnv>): Promise<Invitee> => {
    const found = c.get('principal').apiKeyId ? undefined : await person(c);
    if (!found) throw new NotFoundError(`no pending invitation ${JSON.stringify(c.req.param('invitation_id'))} addressed to you (invitations are answered by the signed-in person they were sent to, not with an API key)`);
    return found;
  };
  const invite = async (c: Context<AppEnv>) => {
    const p = requireOwner(c, 'inviting a member');
    requirePerson(c, 'inviting a member');
    const body = await parseBody(c, invitationCreateSchema);
    const members = await store.tenants.listMembers(p.tenantId);
    const memberEmails = (await consoleAuth.findUsers(members.map((m) => m.user_id))).map((u) => u.email);
    return c.json(await one(await createInvitation(store, { tenantId: p.tenantId, email: body.email, role: body.role, invitedBy: p.userId, memberEmails })));
  };

  route(app, { method: 'post', path: '/v1/tenant/invitations', summary: 'Invite an email address into the tenant (owners only)', tag, body: invitationCreateSchema, response: invitationSchema }, invite);
  route(app, { method: 'post', path: '/v1/tenant/members', summary: 'Deprecated: the same as POST /v1/tenant/invitations (members join by accepting)', tag, body: invitationCreateSchema, response: invitationSchema }, invite);
  route(app, { method: 'get', path: '/v1/tenant/invitations', summary: 'Invitations addressed to you, or (direction=sent, owners) those this tenant sent', tag, query: invitationListQuery, response: z.object({ data: z.array(invitationSchema) }) }, async (c) => {
    const q = parseQuery(c, invitationListQuery);
    if (q.direction === 'sent') return c.json({ data: await wire(await store.invitations.listForTenant(requireOwner(c, 'listing sent invitations').tenantId)) });
    const to = await person(c);
    return c.json({ data: to ? await wire(await store.invitations.listForEmail(to.email.toLowerCase(), Date.now())) : [] });
  });
  route(app, { method: 'post', path: '/v1/tenant/invitations/{invitation_id}/accept', summary: 'Accept an invitation addressed to you: you become a member', tag, response: invitationSchema }, async (c) => {
    return c.json(await one(await acceptInvitation(store, await answerer(c), c.req.param('invitation_id')!)));
  });
  route(app, { method: 'post', path: '/v1/tenant/invitations/{invitation_id}/decline', summary: 'Decline an invitation addressed to you', tag, response: invitationSchema }, async (c) => {
    return c.json(await one(await declineInvitation(store, await answerer(c), c.req.param('invitation_id')!)));
  });
  route(app, { method: 'delete', path: '/v1/tenant/invitations/{invitation_id}', summary: 'Revoke a pending invitation of this tenant (owners only)', tag, response: invitationSchema }, async (c) => {
    const p = requireOwner(c, 'revoking an invitation');
    return c.json(await one(await revokeInvitation(store, p.tenantId, c.req.param('invitation_id')!)));
  });
}
