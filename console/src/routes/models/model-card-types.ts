/** A model card as the API shows it (the API key only as a hint, header values sealed). */
export interface ModelCard {
  id: string;
  name: string;
  provider: 'anthropic' | 'openai';
  base_url: string;
  models: string[];
  is_default: boolean;
  prices: { input_per_mtok: number; output_per_mtok: number } | null;
  api_key_hint: string;
  created_at: string;
}

/** The card that serves a model id: the one listing it, else the default card. */
export function cardFor(cards: ModelCard[], model: string | undefined): ModelCard | undefined {
  return cards.find((c) => model !== undefined && c.models.includes(model)) ?? cards.find((c) => c.is_default);
}

/** Cost in dollars of a request's tokens at a card's prices, or undefined without prices. */
export function costOf(card: ModelCard | undefined, usage: { input_tokens?: number; output_tokens?: number }): number | undefined {
  if (!card?.prices) return undefined;
  return ((usage.input_tokens ?? 0) * card.prices.input_per_mtok + (usage.output_tokens ?? 0) * card.prices.output_per_mtok) / 1_000_000;
}
