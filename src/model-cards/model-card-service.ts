/**
 * Model card rules: unique names per tenant, each model id served by at most one card of the
 * tenant, at most one default card (setting `is_default` moves it), `api_key` and `headers` sealed
 * before they reach the store and never returned. Cards are read again for every model request,
 * so a change applies from the next request of every session.
 */
import { ConflictError, InvalidRequestError, notFound } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import type { Store } from '../store/store.ts';
import type { ModelCardTable } from '../store/schema.ts';
import type { ModelCardPatch } from '../store/model-cards-repository.ts';
import type { Page } from '../store/pagination.ts';
import type { SecretBox } from '../vault/secret-box.ts';
import { parseJson, toJson } from '../store/json.ts';
import { listPrice, type ModelPrice } from '../lib/model-prices.ts';
import { refusedCardURL, type AllowedPrivateHosts } from '../net/model-egress.ts';
import type { ModelCard, ModelCardCreate, ModelCardUpdate } from '../api/schemas/model-cards.ts';
import { apiKeyHint, openModelCard, sealApiKey, sealHeaders, toModelCard, type OpenedModelCard } from './model-card-mapper.ts';

export class ModelCardService {
  constructor(private readonly deps: { store: Store; secretBox: SecretBox; allowedPrivateHosts?: AllowedPrivateHosts }) {}

  /** A base_url on a private IP address is refused unless the operator allowed it (host names are checked when connecting). */
  private checkBaseURL(baseURL: string): void {
    const refused = refusedCardURL(baseURL, this.deps.allowedPrivateHosts ?? []);
    if (refused) throw new InvalidRequestError(`base_url: ${refused}`, { details: { error_code: 'base_url_not_allowed' } });
  }

  async create(tenantId: string, input: ModelCardCreate): Promise<ModelCard> {
    const { secretBox: box } = this.deps;
    this.checkBaseURL(input.base_url);
    const now = Date.now();
    const key = { id: newId('mdlcard'), tenant_id: tenantId };
    const row: ModelCardTable = {
      ...key,
      name: input.name,
      provider: input.provider,
      base_url: input.base_url,
      api_key: sealApiKey(box, key, input.api_key),
      api_key_hint: apiKeyHint(input.api_key),
      models: toJson(input.models),
      is_default: input.is_default ? 1 : 0,
      headers: sealHeaders(box, key, input.headers),
      prices: input.prices ? toJson(input.prices) : null,
      created_at: now,
      updated_at: now,
    };
    await this.write(tenantId, { name: row.name, models: input.models, exceptCardId: null }, async (tx) => {
      if (input.is_default) await tx.modelCards.clearDefault(tenantId, now);
      await tx.modelCards.insert(row, input.models);
    });
    return toModelCard(box, row);
  }

  /** Throws NotFoundError when the card is not in the tenant. */
  async get(tenantId: string, id: string): Promise<ModelCard> {
    return toModelCard(this.deps.secretBox, await this.getRow(tenantId, id));
  }

  async list(tenantId: string, options: { limit: number; page?: string }): Promise<Page<ModelCard>> {
    const page = await this.deps.store.modelCards.list(tenantId, options);
    return { data: page.data.map((row) => toModelCard(this.deps.secretBox, row)), next_page: page.next_page };
  }

  async update(tenantId: string, id: string, input: ModelCardUpdate): Promise<ModelCard> {
    const { secretBox: box } = this.deps;
    const row = await this.getRow(tenantId, id);
    const now = Date.now();
    const patch: ModelCardPatch = { updated_at: now };
    if (input.name !== undefined) patch.name = input.name;
    if (input.provider !== undefined) patch.provider = input.provider;
    if (input.base_url !== undefined) {
      this.checkBaseURL(input.base_url);
      patch.base_url = input.base_url;
    }
    if (input.api_key !== undefined) {
      patch.api_key = sealApiKey(box, row, input.api_key);
      patch.api_key_hint = apiKeyHint(input.api_key);
    }
    if (input.models !== undefined) patch.models = toJson(input.models);
    if (input.is_default !== undefined) patch.is_default = input.is_default ? 1 : 0;
    if (input.headers !== undefined) patch.headers = sealHeaders(box, row, input.headers);
    if (input.prices !== undefined) patch.prices = input.prices ? toJson(input.prices) : null;
    await this.write(tenantId, { name: input.name ?? row.name, models: input.models ?? [], exceptCardId: id }, async (tx) => {
      if (input.is_default && Number(row.is_default) !== 1) await tx.modelCards.clearDefault(tenantId, now);
      await tx.modelCards.update(tenantId, id, patch, input.models);
    });
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'model_card_deleted' }> {
    const deleted = await this.deps.store.transaction((tx) => tx.modelCards.delete(tenantId, id));
    if (!deleted) throw notFound('model card', id);
    return { id, type: 'model_card_deleted' };
  }

  /** The tenant's card that lists `model`, else its default card, opened; undefined when neither exists. */
  async findServing(tenantId: string, model: string): Promise<OpenedModelCard | undefined> {
    const { store, secretBox } = this.deps;
    const row = (await store.modelCards.findByModel(tenantId, model)) ?? (await store.modelCards.findDefault(tenantId));
    return row ? openModelCard(secretBox, row) : undefined;
  }

  /** The list price of `model` for the tenant: the serving card's `prices`, else the built-in table. */
  async priceFor(tenantId: string, model: string): Promise<ModelPrice | undefined> {
    const { store } = this.deps;
    const row = (await store.modelCards.findByModel(tenantId, model)) ?? (await store.modelCards.findDefault(tenantId));
    const prices = row ? parseJson<ModelPrice | null>(row.prices, 'model_cards.prices') : null;
    return prices ?? listPrice(model);
  }

  /** Whether some card of the tenant would serve `model` (one lists it, or a default card exists). */
  async isServed(tenantId: string, model: string): Promise<boolean> {
    const { store } = this.deps;
    return (await store.modelCards.findByModel(tenantId, model)) !== undefined || (await store.modelCards.findDefault(tenantId)) !== undefined;
  }

  /**
   * Throws InvalidRequestError unless something would serve `model` for the tenant: a card listing
   * it, a default card, or (`fallback`) the server's ANTHROPIC_API_KEY.
   */
  async assertServable(tenantId: string, model: string, fallback: boolean): Promise<void> {
    if (fallback || (await this.isServed(tenantId, model))) return;
    throw new InvalidRequestError(
      `model: no provider serves ${JSON.stringify(model)} for this tenant: no model card lists it, there is no default model card, and the server has no ANTHROPIC_API_KEY. ` +
        `Create a model card listing ${JSON.stringify(model)} (POST /v1/model_cards) or make a card the default, then retry.`,
      { details: { error_code: 'model_not_configured' } },
    );
  }

  private async getRow(tenantId: string, id: string): Promise<ModelCardTable> {
    const row = await this.deps.store.modelCards.find(tenantId, id);
    if (!row) throw notFound('model card', id);
    return row;
  }

  /** Runs a write after checking model ids against the tenant's other cards; unique violations become 409s. */
  private async write(tenantId: string, check: { name: string; models: string[]; exceptCardId: string | null }, fn: (tx: Store) => Promise<void>): Promise<void> {
    const { store } = this.deps;
    try {
      await store.transaction(async (tx) => {
        const taken = await tx.modelCards.modelsServedByOthers(tenantId, check.models, check.exceptCardId);
        if (taken.length > 0) {
          const list = taken.map((t) => `${JSON.stringify(t.model)} (${t.card_id})`).join(', ');
          throw new ConflictError(`models: ${list} already served by another model card of this tenant; remove the model id from that card first, or update that card instead`);
        }
        await fn(tx);
      });
    } catch (err) {
      if (!store.isUniqueViolation(err)) throw err;
      const clash = await store.modelCards.modelsServedByOthers(tenantId, check.models, check.exceptCardId);
      if (clash.length > 0) throw new ConflictError(`models: ${clash.map((c) => JSON.stringify(c.model)).join(', ')} were just taken by another model card; retry`, { cause: err });
      throw new ConflictError(`a model card named ${JSON.stringify(check.name)} already exists (or another card was made the default at the same moment); pick another name, or retry`, { cause: err });
    }
  }
}
