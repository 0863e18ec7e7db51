/**
 * List prices of model ids, for session budgets (`max_list_cost`). A small built-in table of
 * Anthropic list prices, matched by model-id prefix; a model card's `prices` override it for the
 * ids that card serves. Cache reads cost a tenth of the input price and cache writes a quarter
 * more, as on Anthropic's price list. Costs are kept in micro-dollars (1e-6 USD): a token count
 * times a price per million tokens is exactly that.
 */

export interface ModelPrice {
  /** USD per million input tokens. */
  input_per_mtok: number;
  /** USD per million output tokens. */
  output_per_mtok: number;
}

/** The list price of a model id for a tenant, or undefined when it has none (not budgetable). */
export type PriceLookup = (tenantId: string, model: string) => Promise<ModelPrice | undefined>;

/** Longest prefix first, so a dated or suffixed id finds its family. */
const LIST_PRICES: readonly [prefix: string, price: ModelPrice][] = [
  ['claude-opus-4-8', { input_per_mtok: 5, output_per_mtok: 25 }],
  ['claude-opus-4-7', { input_per_mtok: 5, output_per_mtok: 25 }],
  ['claude-opus-4-6', { input_per_mtok: 5, output_per_mtok: 25 }],
  ['claude-opus-4-5', { input_per_mtok: 5, output_per_mtok: 25 }],
  ['claude-opus-4-1', { input_per_mtok: 15, output_per_mtok: 75 }],
  ['claude-opus-4', { input_per_mtok: 15, output_per_mtok: 75 }],
  ['claude-sonnet-4', { input_per_mtok: 3, output_per_mtok: 15 }],
  ['claude-3-7-sonnet', { input_per_mtok: 3, output_per_mtok: 15 }],
  ['claude-haiku-4-5', { input_per_mtok: 1, output_per_mtok: 5 }],
  ['claude-3-5-haiku', { input_per_mtok: 0.8, output_per_mtok: 4 }],
];

const CACHE_READ_FACTOR = 0.1;
const CACHE_WRITE_FACTOR = 1.25;

/** The built-in list price of `model`, or undefined when the table has none. */
export function listPrice(model: string): ModelPrice | undefined {
  return LIST_PRICES.find(([prefix]) => model === prefix || model.startsWith(`${prefix}-`) || model.startsWith(`${prefix}@`))?.[1];
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** The list cost of one response in micro-dollars, rounded up (a cap fires at or before the charge). */
export function costMicros(usage: TokenUsage, price: ModelPrice): number {
  const cost =
    usage.input_tokens * price.input_per_mtok +
    usage.output_tokens * price.output_per_mtok +
    usage.cache_read_input_tokens * price.input_per_mtok * CACHE_READ_FACTOR +
    usage.cache_creation_input_tokens * price.input_per_mtok * CACHE_WRITE_FACTOR;
  return Math.ceil(cost - 1e-9);
}

/** Micro-dollars → the wire's minor units (cents) as an integer string, rounded up. */
export function microsToCents(micros: number): string {
  return String(Math.ceil(micros / 10_000));
}

/** The wire's cents string → micro-dollars. */
export function centsToMicros(cents: string): number {
  return Number(cents) * 10_000;
}
