/**
 * Memory stores attached to a session: resolved once at session create (name and description
 * snapshotted, a mount path from the name), stored in the session's `resources`, and linked in
 * `session_memory_stores` so `GET /v1/sessions?memory_store_id=` finds the session.
 */
import { InvalidRequestError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import { parseJson } from '../store/json.ts';
import { toIso } from '../lib/time.ts';
import { MAX_MEMORY_STORES_PER_SESSION, type MemoryStoreResource, type SessionResourceParam } from '../api/schemas/session-resources.ts';
import { slugOf } from './memory-paths.ts';

/** Where stores appear inside a sandbox. */
export const MEMORY_MOUNT_ROOT = '/mnt/memory';

/**
 * The resource objects for a session-create `resources` list. Throws InvalidRequestError for
 * files and repositories (not supported yet), more than 8 stores, a store named twice or an
 * archived store, and NotFoundError for a store that is not the tenant's.
 */
export async function resolveSessionResources(store: Store, tenantId: string, params: SessionResourceParam[] | undefined): Promise<MemoryStoreResource[]> {
  const out: MemoryStoreResource[] = [];
  const now = toIso(Date.now());
  const slugs = new Set<string>();
  for (const [i, param] of (params ?? []).entries()) {
    // File and repository resources are resolved by sessions/session-files.ts and session-repositories.ts.
    if (param.type === 'file' || param.type === 'github_repository') continue;
    if (out.some((r) => r.memory_store_id === param.memory_store_id)) throw new InvalidRequestError(`resources[${i}]: memory store ${param.memory_store_id} is attached twice`);
    const row = await store.memoryStores.find(tenantId, param.memory_store_id);
    if (!row) throw notFound('memory store', param.memory_store_id);
    if (row.archived_at !== null) throw new InvalidRequestError(`resources[${i}]: memory store ${row.id} is archived; archived stores cannot be attached to new sessions`);
    let slug = slugOf(row.name);
    for (let n = 2; slugs.has(slug); n++) slug = `${slugOf(row.name)}-${n}`;
    slugs.add(slug);
    out.push({
      id: newId('sesrsc'),
      type: 'memory_store',
      memory_store_id: row.id,
      access: param.access ?? 'read_write',
      instructions: param.instructions ?? null,
      name: row.name,
      description: row.description,
      mount_path: `${MEMORY_MOUNT_ROOT}/${slug}`,
      created_at: now,
      updated_at: now,
    });
  }
  if (out.length > MAX_MEMORY_STORES_PER_SESSION) throw new InvalidRequestError(`resources: at most ${MAX_MEMORY_STORES_PER_SESSION} memory stores per session (got ${out.length})`);
  return out;
}

/** The memory store resources of a session row's `resources` column. */
export function memoryResourcesOf(resources: string): MemoryStoreResource[] {
  return parseJson<{ type: string }[]>(resources, 'sessions.resources').filter((r): r is MemoryStoreResource => r.type === 'memory_store');
}
