/**
 * Issue #24, finding 12 (uids): bwrap session uids came from 10,000 hash slots, so two tenants'
 * sessions could share a uid and its process limit. The ledger gives every session its own.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { useTestStore } from '../support/test-store.ts';
import { StoreUidLedger } from '../../src/sandbox/store-uid-ledger.ts';
import { MemoryUidLedger } from '../../src/sandbox/uid-ledger.ts';

describe.each(BACKENDS)('sandbox uid ledger (%s)', (backend) => {
  const bed = useTestStore(backend);

  it('gives each session its own uid, keeps it, and reuses a uid only after its session is gone', async () => {
    const range = { base: 60_000, count: 3 };
    const ledger = new StoreUidLedger(bed.store, range);
    const [a, b, c] = [await ledger.uidFor('sesn_a'), await ledger.uidFor('sesn_b'), await ledger.uidFor('sesn_c')];
    expect([a, b, c].sort()).toEqual([60_000, 60_001, 60_002]);
    expect(await ledger.uidFor('sesn_b')).toBe(b);
    // Another server instance on the same database sees the same ledger.
    expect(await new StoreUidLedger(bed.store, range).uidFor('sesn_a')).toBe(a);
    await expect(ledger.uidFor('sesn_d')).rejects.toThrow(/belongs to a session/);
    await ledger.release('sesn_b');
    expect(await ledger.uidFor('sesn_d')).toBe(b);
  });

  it('never hands one uid to two sessions allocating at once', async () => {
    const ledgers = [new StoreUidLedger(bed.store, { base: 61_000, count: 1000 }), new StoreUidLedger(bed.store, { base: 61_000, count: 1000 })];
    const uids = await Promise.all(Array.from({ length: 40 }, (_, i) => ledgers[i % 2]!.uidFor(`sesn_race_${i}`)));
    expect(new Set(uids).size).toBe(40);
  });

  it('refuses a session when every uid of the range is held, naming the way out', async () => {
    const ledger = new StoreUidLedger(bed.store, { base: 62_000, count: 2 });
    await ledger.uidFor('sesn_full_1');
    await ledger.uidFor('sesn_full_2');
    await expect(ledger.uidFor('sesn_full_3')).rejects.toThrow(/62000–62001 belongs to a session; delete sessions/);
  });
});

describe('in-memory uid ledger', () => {
  it('is unique within the process and frees on release', async () => {
    const ledger = new MemoryUidLedger({ base: 100, count: 2 });
    const x = await ledger.uidFor('x');
    const y = await ledger.uidFor('y');
    expect([x, y].sort()).toEqual([100, 101]);
    expect(await ledger.uidFor('x')).toBe(x);
    await expect(ledger.uidFor('z')).rejects.toThrow(/belongs to a session/);
    await ledger.release('x');
    expect(await ledger.uidFor('z')).toBe(x);
  });
});
