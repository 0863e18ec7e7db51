/**
 * Who may call: GET /auth-info (sign-in methods for the Console), better-auth at /api/auth/*,
 * and /v1/me, /v1/api_keys, /v1/tenant/members (invitations: invitations.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody } from '../validation.ts';
import { apiKeyCreateSchema, apiKeyCreatedSchema, apiKeySchema, authInfoSchema, meSchema, memberSchema } from '../schemas/auth.ts';
import { createApiKey, findLiveApiKeyById, listApiKeys, revokeApiKey, toWireApiKey } from '../../auth/api-keys.ts';
import { CLIENT_IP_HEADER, type ConsoleAuth } from '../../auth/console-auth.ts';
import type { Principal } from '../../auth/principal.ts';
import { NotFoundError, PermissionError } from '../../errors.ts';
import { requirePerson } from '../principal-checks.ts';
import { mountInvitationRoutes } from './invitations.ts';
import { toIso } from '../../lib/time.ts';
import type { Store } from '../../store/store.ts';
import { z } from '@hono/zod-openapi';

export interface AuthRouteDeps {
  store: Store;
  consoleAuth: ConsoleAuth;
}

/** Routes outside /v1: mounted before the /v1 credential check. */
export function mountPublicAuthRoutes(app: App, deps: AuthRouteDeps): void {
  route(app, { method: 'get', path: '/auth-info', summary: 'Sign-in methods this server offers', tag: 'Auth', response: authInfoSchema }, (c) => c.json(deps.consoleAuth.info()));
  app.on(['GET', 'POST'], '/api/auth/*', (c) => {
    // The rate limiter keys on the client address; take it from the socket, never from the client.
    const headers = new Headers(c.req.raw.headers);
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    headers.set(CLIENT_IP_HEADER, incoming?.socket.remoteAddress ?? 'unknown');
    const init: RequestInit & { duplex?: 'half' } = { method: c.req.method, headers, body: c.req.raw.body, duplex: 'half' };
    return deps.consoleAuth.handler(new Request(c.req.raw.url, init));
  });
}

function via(p: Principal): 'api_key' | 'session' | 'auth_disabled' {
  return p.apiKeyId ? 'api_key' : p.userId ? 'session' : 'auth_disabled';
}

export function mountAuthRoutes(app: App, deps: AuthRouteDeps): void {
  const { store, consoleAuth } = deps;
  const tenantOf = async (id: string, role: Principal['role'] | null) => {
    const t = await store.tenants.find(id);
    return { id, type: 'tenant' as const, name: t?.name ?? id, role: role ?? null };
  };

  route(app, { method: 'get', path: '/v1/me', summary: 'The caller: user, tenant and role', tag: 'Auth', response: meSchema }, async (c) => {
    const p = c.get('principal');
    const user = p.userId ? (await consoleAuth.findUsers([p.userId]))[0] : undefined;
    const tenants = p.userId
      ? await Promise.all((await store.tenants.listMemberships(p.userId)).map((m) => tenantOf(m.tenant_id, m.role === 'owner' ? 'owner' : 'member')))
      : [await tenantOf(p.tenantId, p.role ?? null)];
    return c.json({
      user: user ? { id: user.id, email: user.email, name: user.name } : null,
      tenant: await tenantOf(p.tenantId, p.role ?? null),
      tenants,
      via: via(p),
    });
  });

  route(app, { method: 'post', path: '/v1/api_keys', summary: 'Create an API key (its secret is shown once)', tag: 'Auth', body: apiKeyCreateSchema, response: apiKeyCreatedSchema }, async (c) => {
    const p = requirePerson(c, 'creating an API key');
    const body = await parseBody(c, apiKeyCreateSchema);
    return c.json(await createApiKey(store, { tenantId: p.tenantId, name: body.name ?? 'console', createdBy: p.userId }));
  });
  route(app, { method: 'get', path: '/v1/api_keys', summary: 'List live API keys (without secrets)', tag: 'Auth', response: z.object({ data: z.array(apiKeySchema) }) }, async (c) => {
    return c.json({ data: (await listApiKeys(store, c.get('principal').tenantId)).map(toWireApiKey) });
  });
  route(app, { method: 'delete', path: '/v1/api_keys/{api_key_id}', summary: 'Revoke an API key at once', tag: 'Auth', response: z.object({ id: z.string(), type: z.literal('api_key_deleted') }) }, async (c) => {
    const p = c.get('principal');
    const id = c.req.param('api_key_id')!;
    const row = await findLiveApiKeyById(store, p.tenantId, id);
    if (!row) throw new NotFoundError(`no API key with id ${id}`);
    // A member's key acts as that member (issue #24, finding 4): it revokes only keys the member made.
    if (p.role !== 'owner' && row.created_by !== (p.userId ?? p.keyCreatedBy)) {
      throw new PermissionError('a member can revoke only the API keys they created; ask an owner of this tenant');
    }
    if (!(await revokeApiKey(store, p.tenantId, id))) throw new NotFoundError(`no API key with id ${id}`);
    return c.json({ id, type: 'api_key_deleted' as const });
  });

  route(app, { method: 'get', path: '/v1/tenant/members', summary: "List the tenant's members", tag: 'Auth', response: z.object({ data: z.array(memberSchema) }) }, async (c) => {
    const rows = await store.tenants.listMembers(c.get('principal').tenantId);
    const users = new Map((await consoleAuth.findUsers(rows.map((r) => r.user_id))).map((u) => [u.id, u]));
    return c.json({
      data: rows.map((r) => ({ type: 'member' as const, user_id: r.user_id, email: users.get(r.user_id)?.email ?? null, name: users.get(r.user_id)?.name ?? null, role: r.role === 'owner' ? ('owner' as const) : ('member' as const), created_at: toIso(r.created_at) })),
    });
  });
  mountInvitationRoutes(app, { store, consoleAuth });
}
