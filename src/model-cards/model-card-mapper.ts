/**
 * Model card rows ↔ the wire and ↔ the opened form the harness uses. The only place that opens a
 * card's sealed columns; nothing opened here is ever put in a response, an event or a log line.
 */
import type { SecretBox } from '../vault/secret-box.ts';
import type { ModelCardTable } from '../store/schema.ts';
import { parseJson } from '../store/json.ts';
import { toIso } from '../lib/time.ts';
import type { ModelCard, ModelPrices, ModelProvider } from '../api/schemas/model-cards.ts';

/** The registered sealed columns of model cards (vault/sealed-columns.ts lists them for rotation). */
export const API_KEY_FIELD = 'model_cards.api_key';
export const HEADERS_FIELD = 'model_cards.headers';

/** What a response shows in place of each header value. */
export const SEALED_VALUE = '<sealed>';

/** A card with its secrets opened: handed to a model client, never serialised. */
export interface OpenedModelCard {
  id: string;
  name: string;
  provider: ModelProvider;
  baseURL: string;
  apiKey: string;
  headers: Record<string, string>;
  prices: ModelPrices | null;
}

/** The last four characters of a key, the only part of it the API ever shows. */
export function apiKeyHint(apiKey: string): string {
  return apiKey.length <= 4 ? '****' : apiKey.slice(-4);
}

export function sealApiKey(box: SecretBox, row: { tenant_id: string; id: string }, apiKey: string): string {
  return box.seal({ tenantId: row.tenant_id, field: API_KEY_FIELD, rowId: row.id }, apiKey);
}

export function sealHeaders(box: SecretBox, row: { tenant_id: string; id: string }, headers: Record<string, string> | null | undefined): string | null {
  if (!headers || Object.keys(headers).length === 0) return null;
  return box.seal({ tenantId: row.tenant_id, field: HEADERS_FIELD, rowId: row.id }, JSON.stringify(headers));
}

export function openHeaders(box: SecretBox, row: ModelCardTable): Record<string, string> {
  if (row.headers === null) return {};
  return JSON.parse(box.open({ tenantId: row.tenant_id, field: HEADERS_FIELD, rowId: row.id }, row.headers)) as Record<string, string>;
}

export function toModelCard(box: SecretBox, row: ModelCardTable): ModelCard {
  const headers = Object.fromEntries(Object.keys(openHeaders(box, row)).map((name) => [name, SEALED_VALUE]));
  return {
    id: row.id,
    type: 'model_card',
    name: row.name,
    provider: row.provider as ModelProvider,
    base_url: row.base_url,
    models: parseJson<string[]>(row.models, 'model_cards.models'),
    is_default: Number(row.is_default) === 1,
    headers,
    prices: parseJson<ModelPrices | null>(row.prices, 'model_cards.prices'),
    api_key_hint: row.api_key_hint,
    created_at: toIso(Number(row.created_at)),
    updated_at: toIso(Number(row.updated_at)),
  };
}

export function openModelCard(box: SecretBox, row: ModelCardTable): OpenedModelCard {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider as ModelProvider,
    baseURL: row.base_url,
    apiKey: box.open({ tenantId: row.tenant_id, field: API_KEY_FIELD, rowId: row.id }, row.api_key),
    headers: openHeaders(box, row),
    prices: parseJson<ModelPrices | null>(row.prices, 'model_cards.prices'),
  };
}
