/**
 * Turns the request's credentials into a Principal for /v1 routes: an API key from x-api-key or
 * Authorization: Bearer, or (AUTH_DISABLED=1) the default tenant for everyone.
 */
import type { MiddlewareHandler } from 'hono';
import { AuthenticationError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { findApiKey } from './api-keys.ts';
import { DEFAULT_TENANT_ID, type Principal } from './principal.ts';

export interface AuthOptions {
  store: Store;
  disabled: boolean;
  /** Extra resolvers tried when no API key is given (e.g. a Console session cookie). */
  resolvers?: ((c: Parameters<MiddlewareHandler>[0]) => Promise<Principal | undefined>)[];
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

export function authenticate(options: AuthOptions): MiddlewareHandler {
  return async (c, next) => {
    if (options.disabled) {
      c.set('principal', { tenantId: DEFAULT_TENANT_ID, role: 'owner' } satisfies Principal);
      return next();
    }
    const keys = presentedKeys((n) => c.req.header(n));
    for (const key of keys) {
      const row = await findApiKey(options.store, key);
      if (row) {
        c.set('principal', { tenantId: row.tenant_id, apiKeyId: row.id } satisfies Principal);
        return next();
      }
    }
    if (keys.length > 0) throw new AuthenticationError('invalid API key: it is unknown or was revoked');
    for (const resolve of options.resolvers ?? []) {
      const principal = await resolve(c);
      if (principal) {
        c.set('principal', principal);
        return next();
      }
    }
    throw new AuthenticationError('missing credentials: send an API key in the x-api-key header or as Authorization: Bearer <key> (create one with `npm run oma -- api-keys create`, or in the Console)');
  };
}
