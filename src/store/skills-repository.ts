/** SQL for skills, their versions and the versions' files. Every query is scoped by tenant except `countHolding`. */
import type { Kysely } from 'kysely';
import type { Database, SkillTable, SkillVersionFileTable, SkillVersionTable } from './schema.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';

export class SkillsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: SkillTable): Promise<void> {
    await this.db.insertInto('skills').values(row).execute();
  }

  find(tenantId: string, id: string): Promise<SkillTable | undefined> {
    return this.db.selectFrom('skills').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  async update(tenantId: string, id: string, patch: Partial<Pick<SkillTable, 'latest_version' | 'updated_at'>>): Promise<void> {
    await this.db.updateTable('skills').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
  }

  async list(tenantId: string, q: { limit: number; page?: string }): Promise<Page<SkillTable>> {
    const cursor = decodeCursor(q.page, 'desc');
    const query = this.db.selectFrom('skills').selectAll().where('tenant_id', '=', tenantId);
    const rows = await keysetPage(query, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: q.limit }).execute();
    return toPage(rows, { limit: q.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.id }) }, (r) => r);
  }

  async insertVersion(row: SkillVersionTable, files: SkillVersionFileTable[]): Promise<void> {
    await this.db.insertInto('skill_versions').values(row).execute();
    if (files.length > 0) await this.db.insertInto('skill_version_files').values(files).execute();
  }

  findVersion(tenantId: string, skillId: string, version: string): Promise<SkillVersionTable | undefined> {
    return this.db.selectFrom('skill_versions').selectAll().where('skill_id', '=', skillId).where('version', '=', version).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  /** Newest first (versions are decimal strings of one length per era; created_at orders them). */
  async listVersions(tenantId: string, skillId: string, q: { limit: number; page?: string }): Promise<Page<SkillVersionTable>> {
    const cursor = decodeCursor(q.page, 'desc');
    const query = this.db.selectFrom('skill_versions').selectAll().where('tenant_id', '=', tenantId).where('skill_id', '=', skillId);
    const rows = await keysetPage(query, { key: 'created_at', id: 'version', after: cursor, dir: 'desc', limit: q.limit }).execute();
    return toPage(rows, { limit: q.limit, order: 'desc', key: (r) => ({ k: r.created_at, id: r.version }) }, (r) => r);
  }

  filesOf(skillId: string, version: string): Promise<SkillVersionFileTable[]> {
    return this.db.selectFrom('skill_version_files').selectAll().where('skill_id', '=', skillId).where('version', '=', version).orderBy('path').execute();
  }

  /** Removes one version with its file rows; returns the blobs they held. */
  async deleteVersion(tenantId: string, skillId: string, version: string): Promise<string[]> {
    const files = await this.filesOf(skillId, version);
    await this.db.deleteFrom('skill_version_files').where('skill_id', '=', skillId).where('version', '=', version).execute();
    await this.db.deleteFrom('skill_versions').where('skill_id', '=', skillId).where('version', '=', version).where('tenant_id', '=', tenantId).execute();
    return files.map((f) => f.sha256);
  }

  /** Removes the skill with every version; returns the blobs they held. */
  async delete(tenantId: string, skillId: string): Promise<string[]> {
    const files = await this.db.selectFrom('skill_version_files').select('sha256').where('skill_id', '=', skillId).execute();
    await this.db.deleteFrom('skill_version_files').where('skill_id', '=', skillId).execute();
    await this.db.deleteFrom('skill_versions').where('skill_id', '=', skillId).where('tenant_id', '=', tenantId).execute();
    await this.db.deleteFrom('skills').where('id', '=', skillId).where('tenant_id', '=', tenantId).execute();
    return files.map((f) => f.sha256);
  }

  /** How many skill files (of any tenant) keep the blob `sha256`. */
  async countHolding(sha256: string): Promise<number> {
    const row = await this.db.selectFrom('skill_version_files').select((eb) => eb.fn.countAll<number>().as('n')).where('sha256', '=', sha256).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
