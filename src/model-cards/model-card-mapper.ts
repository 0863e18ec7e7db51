/**
 * Model card rows ↔ the wire and ↔ the opened form the harness uses. The only place that opens a
 * card's sealed columns; nothing opened here is ever put in a response, an event or a log line.
 */
import { createHash } from 'node:crypto';
import type { SecretBox } from '../vault/secret-box.ts';
import { SEALED_COLUMNS, sealContext, type SealedColumn } from '../vault/sealed-columns.ts';
import type { ModelCardTable } from '../store/schema.ts';
import { parseJson } from '../store/json.ts';
import { toIso } from '../lib/time.ts';
import type { ModelCard, ModelPrices, ModelProvider } from '../api/schemas/model-cards.ts';
import { ModelCardUnreadableError } from '../harness/model/model-router.ts';

/** The registered sealed columns of model cards (rotate-root-secret re-encrypts what the registry lists). */
function registeredColumn(column: string): SealedColumn {
  const found = SEALED_COLUMNS.find((c) => c.table === 'model_cards' && c.column === column);
  if (!found) throw new Error(`model_cards.${column} is sealed but missing from SEALED_COLUMNS (vault/sealed-columns.ts)`);
  return found;
}
const API_KEY_COLUMN = registeredColumn('api_key');
const HEADERS_COLUMN = registeredColumn('headers');

/** What a response shows in place of each header value. */
export const SEALED_VALUE = '<sealed>';

/** A card with its secrets opened: handed to a model client, never serialised. */
export interface OpenedModelCard {
  cardId: string;
  /** Changes with every update of the card. */
  version: string;
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
  return box.seal(sealContext(API_KEY_COLUMN, row.tenant_id, row.id), apiKey);
}

export function sealHeaders(box: SecretBox, row: { tenant_id: string; id: string }, headers: Record<string, string> | null | undefined): string | null {
  if (!headers || Object.keys(headers).length === 0) return null;
  return box.seal(sealContext(HEADERS_COLUMN, row.tenant_id, row.id), JSON.stringify(headers));
}

export function openHeaders(box: SecretBox, row: ModelCardTable): Record<string, string> {
  if (row.headers === null) return {};
  return JSON.parse(box.open(sealContext(HEADERS_COLUMN, row.tenant_id, row.id), row.headers)) as Record<string, string>;
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

/** Opens a stored card; throws ModelCardUnreadableError when its content does not open. */
export function openModelCard(box: SecretBox, row: ModelCardTable): OpenedModelCard {
  try {
    return openCard(box, row);
  } catch (err) {
    throw new ModelCardUnreadableError((err as Error).message, { cause: err });
  }
}

function openCard(box: SecretBox, row: ModelCardTable): OpenedModelCard {
  return {
    cardId: row.id,
    // Sealed values change with every write (fresh IV), so any change of key, headers or URL shows.
    version: createHash('sha256').update(JSON.stringify([row.provider, row.base_url, row.api_key, row.headers])).digest('base64url').slice(0, 16),
    name: row.name,
    provider: row.provider as ModelProvider,
    baseURL: row.base_url,
    apiKey: box.open(sealContext(API_KEY_COLUMN, row.tenant_id, row.id), row.api_key),
    headers: openHeaders(box, row),
    prices: parseJson<ModelPrices | null>(row.prices, 'model_cards.prices'),
  };
}
