import { describe, it, expect } from 'vitest';
import { centsToMicros, costMicros, listPrice, microsToCents } from './model-prices.ts';

describe('model list prices', () => {
  it('finds a family by prefix, dated ids included, and nothing for unknown ids', () => {
    expect(listPrice('claude-sonnet-4-6')).toEqual({ input_per_mtok: 3, output_per_mtok: 15 });
    expect(listPrice('claude-sonnet-4-5-20250929')).toEqual({ input_per_mtok: 3, output_per_mtok: 15 });
    expect(listPrice('claude-opus-4-6')).toEqual({ input_per_mtok: 5, output_per_mtok: 25 });
    expect(listPrice('claude-opus-4-1-20250805')).toEqual({ input_per_mtok: 15, output_per_mtok: 75 });
    expect(listPrice('claude-haiku-4-5')).toEqual({ input_per_mtok: 1, output_per_mtok: 5 });
    expect(listPrice('claude-sonnet-40')).toBeUndefined();
    expect(listPrice('llama3.1:8b')).toBeUndefined();
  });

  it('prices tokens in micro-dollars, cache reads at a tenth and writes at 1.25x of input, rounded up', () => {
    const price = { input_per_mtok: 3, output_per_mtok: 15 };
    expect(costMicros({ input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, price)).toBe(4500);
    expect(costMicros({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1000, cache_creation_input_tokens: 1000 }, price)).toBe(300 + 3750);
    expect(costMicros({ input_tokens: 1, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, { input_per_mtok: 0.8, output_per_mtok: 4 })).toBe(1);
  });

  it('converts between micro-dollars and the wire amount in cents, rounding cost up', () => {
    expect(microsToCents(0)).toBe('0');
    expect(microsToCents(1)).toBe('1');
    expect(microsToCents(10_000)).toBe('1');
    expect(microsToCents(2_500_000)).toBe('250');
    expect(centsToMicros('2500')).toBe(25_000_000);
  });
});
