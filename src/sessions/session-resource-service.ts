/**
 * Session resources (reference §2.6). Memory stores are attached at session create and stay for
 * the session's life (a memory store resource is found by its `sesrsc_` id or its
 * `memory_store_id`, as the SDK's type carries no id). File resources are added at create or
 * later, and removed, while the session is idle and not archived. Repositories are attached at
 * create; while idle their token can be rotated (the next clone attempt uses it) and they can be
 * removed (the token is deleted; a checkout already in the workspace stays there, it is the agent's work).
 * Trade-off: add and delete rewrite the session's `resources` JSON inside one transaction after
 * reading it there; on Postgres two concurrent writers of one session's resources can still race
 * (the later write wins), which only an operator scripting parallel adds would meet.
 */
import { ConflictError, InvalidRequestError, notFound } from '../errors.ts';
import type { SessionService } from './session-service.ts';
import type { Store } from '../store/store.ts';
import { parseJson, toJson } from '../store/json.ts';
import { fileResourceParamSchema, type FileResource, type SessionResource } from '../api/schemas/session-resources.ts';
import { decodeCursor, encodeCursor, type Page } from '../store/pagination.ts';
import { zodMessage } from '../api/validation.ts';
import { toIso } from '../lib/time.ts';
import type { SessionTable } from '../store/schema.ts';
import { resolveFileResources } from './session-files.ts';
import { rotateRepositoryToken } from './session-repositories.ts';
import type { SecretBox } from '../vault/secret-box.ts';

function resourcesOf(row: Pick<SessionTable, 'resources'>): SessionResource[] {
  return parseJson<SessionResource[]>(row.resources, 'sessions.resources');
}

export class SessionResourceService {
  constructor(private readonly deps: { sessions: SessionService; store: Store; secretBox: SecretBox }) {}

  private async resources(tenantId: string, sessionId: string): Promise<SessionResource[]> {
    return resourcesOf(await this.deps.sessions.getRow(tenantId, sessionId));
  }

  async list(tenantId: string, sessionId: string, q: { limit: number; page?: string }): Promise<Page<SessionResource>> {
    const all = await this.resources(tenantId, sessionId);
    const start = q.page === undefined ? 0 : decodeCursor(q.page, 'asc')!.k + 1;
    const data = all.slice(start, start + q.limit);
    const lastIndex = start + data.length - 1;
    return { data, next_page: lastIndex < all.length - 1 && data.length > 0 ? encodeCursor({ k: lastIndex, id: data[data.length - 1]!.id, o: 'asc' }) : null };
  }

  async get(tenantId: string, sessionId: string, resourceId: string): Promise<SessionResource> {
    const found = (await this.resources(tenantId, sessionId)).find((r) => r.id === resourceId || (r.type === 'memory_store' && r.memory_store_id === resourceId));
    if (!found) throw notFound('session resource', resourceId);
    return found;
  }

  /** POST /v1/sessions/{id}/resources: only `file` (repositories and memory stores are attached at create). */
  async add(tenantId: string, sessionId: string, body: { type: string }): Promise<FileResource> {
    await this.deps.sessions.getRow(tenantId, sessionId);
    if (body.type === 'memory_store') throw new InvalidRequestError('type: memory stores are attached when the session is created (resources in POST /v1/sessions); create a new session to attach another');
    if (body.type === 'github_repository') throw new InvalidRequestError('type: github_repository resources are attached when the session is created (resources in POST /v1/sessions); only file resources are added later');
    const parsed = fileResourceParamSchema.safeParse(body);
    if (!parsed.success) throw new InvalidRequestError(`body${zodMessage(parsed.error)}`);
    return this.deps.store.transaction(async (tx) => {
      const row = await this.modifiable(tx, tenantId, sessionId, 'added');
      const existing = resourcesOf(row);
      const [added] = await resolveFileResources(tx, tenantId, [{ param: parsed.data, at: 'body' }], existing);
      await tx.sessions.update(tenantId, sessionId, { resources: toJson([...existing, added!]), updated_at: Date.now() });
      return added!;
    });
  }

  /** POST /v1/sessions/{id}/resources/{rid}: a new authorization_token for a repository (R4). */
  async update(tenantId: string, sessionId: string, resourceId: string, body: { authorization_token: string }): Promise<SessionResource> {
    const resource = await this.get(tenantId, sessionId, resourceId);
    if (resource.type !== 'github_repository') throw new InvalidRequestError(`session resource ${resourceId} is a ${resource.type === 'file' ? 'file' : 'memory store'}: only github_repository resources take a new authorization_token`);
    return this.deps.store.transaction(async (tx) => {
      const row = await this.modifiable(tx, tenantId, sessionId, 'updated');
      const now = Date.now();
      let updated: SessionResource | undefined;
      const resources = resourcesOf(row).map((r) => (r.id === resource.id ? (updated = { ...r, updated_at: toIso(now) }) : r));
      if (!updated) throw notFound('session resource', resourceId);
      await rotateRepositoryToken(tx, this.deps.secretBox, { tenantId, resourceId: resource.id, token: body.authorization_token, now });
      await tx.sessions.update(tenantId, sessionId, { resources: toJson(resources), updated_at: now });
      return updated;
    });
  }

  async delete(tenantId: string, sessionId: string, resourceId: string): Promise<{ id: string; type: 'session_resource_deleted' }> {
    const resource = await this.get(tenantId, sessionId, resourceId);
    if (resource.type === 'memory_store') throw new InvalidRequestError(`session resource ${resourceId} is a memory store: it stays mounted for the session's life; create a new session without it`);
    await this.deps.store.transaction(async (tx) => {
      const row = await this.modifiable(tx, tenantId, sessionId, 'removed');
      const remaining = resourcesOf(row).filter((r) => r.id !== resource.id);
      await tx.sessions.update(tenantId, sessionId, { resources: toJson(remaining), updated_at: Date.now() });
      if (resource.type === 'github_repository') await tx.sessionRepositories.delete(tenantId, resource.id);
    });
    return { id: resource.id, type: 'session_resource_deleted' };
  }

  /** The session row, read in the transaction; 409 unless it is idle and not archived. */
  private async modifiable(tx: Store, tenantId: string, sessionId: string, verb: string): Promise<SessionTable> {
    const row = await tx.sessions.find(tenantId, sessionId);
    if (!row) throw notFound('session', sessionId);
    if (row.archived_at !== null) throw new ConflictError(`session ${sessionId} is archived; resources cannot be ${verb}`);
    if (row.status !== 'idle') throw new ConflictError(`session ${sessionId} is ${row.status}; resources can be ${verb} only while it is idle`);
    return row;
  }
}
