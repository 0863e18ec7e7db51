/** SQL for environments. Every query is scoped by tenant. */
import type { Kysely } from 'kysely';
import type { Database, EnvironmentTable } from './schema.ts';
import { parseJson } from './json.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';
import type { Environment } from '../api/schemas/environments.ts';
import { toIso } from '../lib/time.ts';

export function toEnvironment(row: EnvironmentTable): Environment {
  const env: Environment = {
    id: row.id,
    type: 'environment',
    name: row.name,
    description: row.description,
    config: parseJson(row.config, 'environments.config'),
    metadata: parseJson(row.metadata, 'environments.metadata'),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    archived_at: toIso(row.archived_at),
  };
  if (row.scope) env.scope = row.scope;
  return env;
}

export class EnvironmentsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: EnvironmentTable): Promise<void> {
    await this.db.insertInto('environments').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<EnvironmentTable | undefined> {
    return this.db.selectFrom('environments').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  findDefault(tenantId: string): Promise<EnvironmentTable | undefined> {
    return this.db.selectFrom('environments').selectAll().where('tenant_id', '=', tenantId).where('is_default', '=', 1).where('archived_at', 'is', null).executeTakeFirst();
  }

  async update(tenantId: string, id: string, patch: Partial<Pick<EnvironmentTable, 'name' | 'description' | 'config' | 'metadata' | 'scope' | 'archived_at' | 'updated_at'>>): Promise<void> {
    await this.db.updateTable('environments').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.db.deleteFrom('environments').where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async countSessions(tenantId: string, id: string): Promise<number> {
    const row = await this.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('environment_id', '=', id).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async list(tenantId: string, options: { limit: number; page?: string; includeArchived: boolean }): Promise<Page<Environment>> {
    const cursor = decodeCursor(options.page, 'desc');
    let q = this.db.selectFrom('environments').selectAll().where('tenant_id', '=', tenantId);
    if (!options.includeArchived) q = q.where('archived_at', 'is', null);
    const rows = await keysetPage(q, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: options.limit }).execute();
    return toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, toEnvironment);
  }
}
