/** Who wrote a memory version: an API caller (key or Console user) or an agent in a session. */
import type { Principal } from '../auth/principal.ts';
import type { Actor } from '../api/schemas/memory-stores.ts';
import type { MemoryVersionTable } from '../store/schema.ts';
import { toJson } from '../store/json.ts';

/** An API caller, or the session whose sandbox changed a mounted store. */
export type WriteActor = { kind: 'principal'; principal: Principal } | { kind: 'session'; sessionId: string };

/** The wire actor; null when the caller is anonymous (AUTH_DISABLED). */
export function actorOf(actor: WriteActor): Actor | null {
  if (actor.kind === 'session') return { type: 'session_actor', session_id: actor.sessionId };
  if (actor.principal.apiKeyId) return { type: 'api_actor', api_key_id: actor.principal.apiKeyId };
  if (actor.principal.userId) return { type: 'user_actor', user_id: actor.principal.userId };
  return null;
}

/** The version columns that record the author (and make `session_id` / `api_key_id` filterable). */
export function authorColumns(actor: WriteActor): Pick<MemoryVersionTable, 'created_by' | 'session_id' | 'api_key_id'> {
  const wire = actorOf(actor);
  return {
    created_by: wire ? toJson(wire) : null,
    session_id: actor.kind === 'session' ? actor.sessionId : null,
    api_key_id: wire?.type === 'api_actor' ? wire.api_key_id : null,
  };
}
