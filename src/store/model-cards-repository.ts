/**
 * SQL for model cards and the index of which card serves which model id. Every query is scoped by
 * tenant. Rows come back as stored: `api_key` and `headers` are sealed values the service opens.
 */
import type { Kysely } from 'kysely';
import type { Database, ModelCardTable } from './schema.ts';
import { decodeCursor, keysetPage, toPage, type Page } from './pagination.ts';

export type ModelCardPatch = Partial<Omit<ModelCardTable, 'id' | 'tenant_id' | 'created_at'>>;

export class ModelCardsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts the card and its model index rows; a taken name or model id is a unique violation. */
  async insert(row: ModelCardTable, models: string[]): Promise<void> {
    await this.db.insertInto('model_cards').values(row).execute();
    await this.setModels(row.tenant_id, row.id, models);
  }

  find(tenantId: string, id: string): Promise<ModelCardTable | undefined> {
    return this.db.selectFrom('model_cards').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  }

  /** The tenant's card that lists `model`, if any. */
  findByModel(tenantId: string, model: string): Promise<ModelCardTable | undefined> {
    return this.db
      .selectFrom('model_card_models')
      .innerJoin('model_cards', 'model_cards.id', 'model_card_models.card_id')
      .selectAll('model_cards')
      .where('model_card_models.tenant_id', '=', tenantId)
      .where('model_card_models.model', '=', model)
      .where('model_cards.tenant_id', '=', tenantId)
      .executeTakeFirst();
  }

  findDefault(tenantId: string): Promise<ModelCardTable | undefined> {
    return this.db.selectFrom('model_cards').selectAll().where('tenant_id', '=', tenantId).where('is_default', '=', 1).executeTakeFirst();
  }

  /** Which of `models` another card of the tenant already serves. */
  async modelsServedByOthers(tenantId: string, models: string[], exceptCardId: string | null): Promise<{ model: string; card_id: string }[]> {
    if (models.length === 0) return [];
    let q = this.db.selectFrom('model_card_models').select(['model', 'card_id']).where('tenant_id', '=', tenantId).where('model', 'in', models);
    if (exceptCardId) q = q.where('card_id', '!=', exceptCardId);
    return q.orderBy('model').execute();
  }

  async update(tenantId: string, id: string, patch: ModelCardPatch, models?: string[]): Promise<void> {
    await this.db.updateTable('model_cards').set(patch).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
    if (models) await this.setModels(tenantId, id, models);
  }

  /** Clears the default flag on every card of the tenant (before another card takes it). */
  async clearDefault(tenantId: string, now: number): Promise<void> {
    await this.db.updateTable('model_cards').set({ is_default: 0, updated_at: now }).where('tenant_id', '=', tenantId).where('is_default', '=', 1).execute();
  }

  /** Deletes the card and its model index rows; false when there was no such card. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    await this.db.deleteFrom('model_card_models').where('tenant_id', '=', tenantId).where('card_id', '=', id).execute();
    const result = await this.db.deleteFrom('model_cards').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async list(tenantId: string, options: { limit: number; page?: string }): Promise<Page<ModelCardTable>> {
    const cursor = decodeCursor(options.page, 'desc');
    const q = this.db.selectFrom('model_cards').selectAll().where('tenant_id', '=', tenantId);
    const rows = await keysetPage(q, { key: 'created_at', id: 'id', after: cursor, dir: 'desc', limit: options.limit }).execute();
    return toPage(rows, { limit: options.limit, order: 'desc', key: (r) => ({ k: Number(r.created_at), id: r.id }) }, (r) => r);
  }

  private async setModels(tenantId: string, cardId: string, models: string[]): Promise<void> {
    await this.db.deleteFrom('model_card_models').where('tenant_id', '=', tenantId).where('card_id', '=', cardId).execute();
    if (models.length === 0) return;
    await this.db.insertInto('model_card_models').values(models.map((model) => ({ tenant_id: tenantId, model, card_id: cardId }))).execute();
  }
}
