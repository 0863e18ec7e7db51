/**
 * File resources of a session (reference §2.6): a File of the tenant shown read-only at
 * `mount_path` (default /mnt/session/uploads/<file_id>). Resolved at session create and by
 * POST /v1/sessions/{id}/resources; stored in the session's `resources` with the memory stores.
 */
import { InvalidRequestError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import { toIso } from '../lib/time.ts';
import type { Store } from '../store/store.ts';
import { reservedMountPathReason } from '../sandbox/shared/mounts.ts';
import { MAX_FILES_PER_SESSION, type FileResource, type FileResourceParam } from '../api/schemas/session-resources.ts';

/** Where uploaded files appear by default, and where outputs are collected from. */
export const UPLOADS_MOUNT_ROOT = '/mnt/session/uploads';
export const OUTPUTS_DIRECTORY = '/mnt/session/outputs';

/**
 * Resource objects for file params. `existing` are the session's resources so far (mount paths must
 * stay distinct, at most 999 files). NotFoundError for a file that is not the tenant's.
 */
export async function resolveFileResources(store: Store, tenantId: string, params: { param: FileResourceParam; at: string }[], existing: { type: string; mount_path?: string }[]): Promise<FileResource[]> {
  const out: FileResource[] = [];
  const now = toIso(Date.now());
  const taken = new Set(existing.map((r) => r.mount_path).filter((p): p is string => p !== undefined));
  for (const { param, at } of params) {
    const file = await store.files.find(tenantId, param.file_id);
    if (!file) throw notFound('file', param.file_id);
    const mountPath = param.mount_path ?? `${UPLOADS_MOUNT_ROOT}/${file.id}`;
    if (taken.has(mountPath)) throw new InvalidRequestError(`${at}.mount_path: ${mountPath} is already used by another resource of the session`);
    if (mountPath === OUTPUTS_DIRECTORY || mountPath.startsWith(`${OUTPUTS_DIRECTORY}/`)) throw new InvalidRequestError(`${at}.mount_path: ${OUTPUTS_DIRECTORY} is for the agent's outputs; mount inputs elsewhere`);
    const reserved = reservedMountPathReason(mountPath);
    if (reserved || mountPath === '/workspace') throw new InvalidRequestError(`${at}.mount_path: ${mountPath} cannot hold a file (${reserved ?? 'it is the working directory'}); pick a path such as ${UPLOADS_MOUNT_ROOT}/<name> or /workspace/<name>`);
    const nested = [...taken].find((other) => mountPath.startsWith(`${other}/`) || other.startsWith(`${mountPath}/`));
    if (nested) throw new InvalidRequestError(`${at}.mount_path: ${mountPath} and ${nested} (another resource) cannot be inside one another; a file resource is a file`);
    taken.add(mountPath);
    out.push({ id: newId('sesrsc'), type: 'file', file_id: file.id, mount_path: mountPath, created_at: now, updated_at: now });
  }
  const count = existing.filter((r) => r.type === 'file').length + out.length;
  if (count > MAX_FILES_PER_SESSION) throw new InvalidRequestError(`resources: at most ${MAX_FILES_PER_SESSION} file resources per session (got ${count})`);
  return out;
}
