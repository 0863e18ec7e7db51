/**
 * Turns the request's credentials into a Principal for /v1 routes: an API key from x-api-key or
 * Authorization: Bearer; else a Console session cookie (same-origin requests only); or, with
 * AUTH_DISABLED=1, the default tenant for everyone.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { AuthenticationError, PermissionError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { ApiKeyTable } from '../store/schema.ts';
import { ApiKeyCache } from './api-key-cache.ts';
import type { ConsoleAuth } from './console-auth.ts';
import { DEFAULT_TENANT_ID, type Principal } from './principal.ts';
import { TENANT_HEADER, ensureHomeTenant, pickMembership } from './tenancy.ts';

export interface AuthOptions {
  store: Store;
  disabled: boolean;
  /** Console sessions; without it only API keys are accepted. */
  consoleAuth?: ConsoleAuth;
  /** PUBLIC_URL: an origin trusted besides the request's own (a TLS-terminating proxy in front). */
  publicUrl?: string;
}

function presentedKeys(header: (name: string) => string | undefined): string[] {
  const keys: string[] = [];
  const xApiKey = header('x-api-key');
  if (xApiKey) keys.push(xApiKey.trim());
  const authorization = header('authorization');
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (!match) throw new AuthenticationError('Authorization header must be "Bearer <api key>"');
    keys.push(match[1]!.trim());
  }
  return keys;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for cookie-authenticated requests: a browser always names the page's origin on
 * cross-site requests, so an Origin must match this server; one that changes state must carry an
 * Origin (or Sec-Fetch-Site: same-origin).
 */
function checkSameOrigin(c: Context, publicUrl: string | undefined): void {
  const origin = c.req.header('origin');
  if (!origin) {
    if (SAFE_METHODS.has(c.req.method) || c.req.header('sec-fetch-site') === 'same-origin') return;
    throw new PermissionError('cross-site request refused: a request signed in with a Console cookie must carry an Origin header naming this server (or use an API key)');
  }
  const trusted = [new URL(c.req.url).origin];
  if (publicUrl) trusted.push(new URL(publicUrl).origin);
  if (!trusted.includes(origin)) {
    throw new PermissionError(`cross-site request refused: Origin ${origin} is not this server (${trusted.join(', ')}); set PUBLIC_URL if the server is behind a proxy`);
  }
}

/**
 * A key acts with its minting user's current role in its tenant (issue #24, finding 4: a member's key
 * used to act as an owner). A key minted on the server's CLI (no user) is the operator's: owner. A key
 * whose user has left the tenant no longer works.
 */
async function keyPrincipal(store: Store, row: ApiKeyTable): Promise<Principal> {
  if (row.created_by === null) return { tenantId: row.tenant_id, apiKeyId: row.id, role: 'owner' };
  const membership = await store.tenants.findMembership(row.tenant_id, row.created_by);
  if (!membership) throw new AuthenticationError('invalid API key: the user who created it is no longer a member of its tenant');
  return { tenantId: row.tenant_id, apiKeyId: row.id, keyCreatedBy: row.created_by, role: membership.role === 'owner' ? 'owner' : 'member' };
}

export function authenticate(options: AuthOptions): MiddlewareHandler {
  const keyCache = new ApiKeyCache(options.store, keyPrincipal);
  return async (c, next) => {
    const requestedTenant = c.req.header(TENANT_HEADER)?.trim() || undefined;
    if (options.disabled) {
      if (requestedTenant && requestedTenant !== DEFAULT_TENANT_ID) {
        throw new PermissionError(`AUTH_DISABLED=1: every request acts as tenant "${DEFAULT_TENANT_ID}"; ${TENANT_HEADER}: ${requestedTenant} cannot be used`);
      }
      c.set('principal', { tenantId: DEFAULT_TENANT_ID, role: 'owner' } satisfies Principal);
      return next();
    }
    const keys = presentedKeys((n) => c.req.header(n));
    for (const key of keys) {
      const found = await keyCache.lookup(key);
      if (found) {
        if (requestedTenant && requestedTenant !== found.row.tenant_id) {
          throw new PermissionError(`this API key belongs to another tenant than ${requestedTenant} (${TENANT_HEADER} header); a key acts only for its own tenant`);
        }
        c.set('principal', { ...found.principal });
        return next();
      }
    }
    if (keys.length > 0) throw new AuthenticationError('invalid API key: it is unknown or was revoked');
    const user = options.consoleAuth ? await options.consoleAuth.currentUser(c.req.raw.headers) : undefined;
    if (user) {
      checkSameOrigin(c, options.publicUrl);
      const membership = pickMembership(await ensureHomeTenant(options.store, user), requestedTenant);
      c.set('principal', { tenantId: membership.tenant_id, userId: user.id, role: membership.role === 'owner' ? 'owner' : 'member' } satisfies Principal);
      return next();
    }
    if (/(^|;\s*)(__Secure-)?oma\.session_token=/.test(c.req.header('cookie') ?? '')) {
      throw new AuthenticationError('your Console session is invalid or has expired: sign in again');
    }
    throw new AuthenticationError('missing credentials: send an API key in the x-api-key header or as Authorization: Bearer <key> (create one with `npm run oma -- api-keys create`, or in the Console)');
  };
}
