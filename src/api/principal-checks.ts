/** Role checks for routes: who may do what in the tenant a request acts in. */
import type { Context } from 'hono';
import type { AppEnv } from './context.ts';
import type { Principal } from '../auth/principal.ts';
import { PermissionError } from '../errors.ts';

/** Managing keys and members is done by a person: a Console session (or the single user of AUTH_DISABLED). */
export function requirePerson(c: Context<AppEnv>, action: string): Principal {
  const p = c.get('principal');
  if (p.apiKeyId) throw new PermissionError(`${action} requires a signed-in Console user, not an API key (on the server itself: npm run oma -- api-keys create)`);
  return p;
}

/**
 * Owner-only actions. A key carries its minting user's role in its tenant (issue #24, finding 4), so a
 * member's key is refused here exactly like the member's own session.
 */
export function requireOwner(c: Context<AppEnv>, action: string): Principal {
  const p = c.get('principal');
  if (p.role !== 'owner') throw new PermissionError(`${action} requires the owner role in this tenant; ${p.apiKeyId ? 'this API key was created by a member' : 'you are a member'}`);
  return p;
}
