import { describe, expect, it } from 'vitest';
import { lazy } from './lazy.ts';

describe('lazy', () => {
  it('loads once for every caller, concurrent or later', async () => {
    let loads = 0;
    const value = lazy(async () => ({ n: ++loads }));
    const [a, b] = await Promise.all([value(), value()]);
    expect(a).toBe(b);
    expect(await value()).toBe(a);
    expect(loads).toBe(1);
  });

  it('forgets a failed load, so the next call tries again', async () => {
    let loads = 0;
    const value = lazy(async () => {
      if (++loads === 1) throw new Error('not yet');
      return loads;
    });
    await expect(value()).rejects.toThrow('not yet');
    expect(await value()).toBe(2);
    expect(await value()).toBe(2);
  });
});
