/**
 * Session resources (reference §2.6). Memory stores are attached at session create and stay for
 * the session's life; files and repositories are not supported yet, so add, token rotation and
 * detach answer 400 with the reason. A memory store resource is found by its `sesrsc_` id or by
 * its `memory_store_id` (the SDK's memory store resource type carries no id).
 */
import { InvalidRequestError, notFound } from '../errors.ts';
import type { SessionService } from './session-service.ts';
import { memoryResourcesOf } from '../memory/session-memory.ts';
import type { MemoryStoreResource } from '../api/schemas/session-resources.ts';
import { decodeCursor, encodeCursor, type Page } from '../store/pagination.ts';

export class SessionResourceService {
  constructor(private readonly deps: { sessions: SessionService }) {}

  private async resources(tenantId: string, sessionId: string): Promise<MemoryStoreResource[]> {
    return memoryResourcesOf((await this.deps.sessions.getRow(tenantId, sessionId)).resources);
  }

  async list(tenantId: string, sessionId: string, q: { limit: number; page?: string }): Promise<Page<MemoryStoreResource>> {
    const all = await this.resources(tenantId, sessionId);
    const start = q.page === undefined ? 0 : decodeCursor(q.page, 'asc')!.k + 1;
    const data = all.slice(start, start + q.limit);
    const lastIndex = start + data.length - 1;
    return { data, next_page: lastIndex < all.length - 1 && data.length > 0 ? encodeCursor({ k: lastIndex, id: data[data.length - 1]!.id, o: 'asc' }) : null };
  }

  async get(tenantId: string, sessionId: string, resourceId: string): Promise<MemoryStoreResource> {
    const found = (await this.resources(tenantId, sessionId)).find((r) => r.id === resourceId || r.memory_store_id === resourceId);
    if (!found) throw notFound('session resource', resourceId);
    return found;
  }

  async add(tenantId: string, sessionId: string, type: string): Promise<never> {
    await this.deps.sessions.getRow(tenantId, sessionId);
    if (type === 'memory_store') throw new InvalidRequestError('type: memory stores are attached when the session is created (resources in POST /v1/sessions); create a new session to attach another');
    throw new InvalidRequestError(`type: ${JSON.stringify(type)} resources are not supported by this server yet (files are not implemented); only memory_store resources exist, attached at session create`);
  }

  async update(tenantId: string, sessionId: string, resourceId: string): Promise<never> {
    await this.get(tenantId, sessionId, resourceId);
    throw new InvalidRequestError(`session resource ${resourceId} is a memory store: only github_repository resources take a new authorization_token`);
  }

  async delete(tenantId: string, sessionId: string, resourceId: string): Promise<never> {
    await this.get(tenantId, sessionId, resourceId);
    throw new InvalidRequestError(`session resource ${resourceId} is a memory store: it stays mounted for the session's life; create a new session without it`);
  }
}
