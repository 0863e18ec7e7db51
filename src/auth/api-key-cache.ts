/**
 * API keys → principals, cached per process. An entry is used only while the auth epoch
 * (store/auth-epoch.ts) it was read at is still the committed one: any revocation, key deletion
 * or membership change — by this process, another instance or the CLI — bumps the epoch in its
 * own transaction, so the next request after it commits looks the key up again (and is refused).
 * A request then costs one read of the epoch instead of the key and membership lookups. Only keys
 * that authenticated are cached, by their hash; last_used_at keeps its once-a-minute write.
 */
import type { Store } from '../store/store.ts';
import type { ApiKeyTable } from '../store/schema.ts';
import type { Principal } from './principal.ts';
import { findApiKey, hashApiKey, LAST_USED_RESOLUTION_MS, touchApiKey } from './api-keys.ts';

interface Entry {
  epoch: number;
  row: ApiKeyTable;
  principal: Principal;
  lastUsedAt: number;
}

const MAX_ENTRIES = 1000;

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    private readonly toPrincipal: (store: Store, row: ApiKeyTable) => Promise<Principal>,
  ) {}

  /** The key's row and principal, or undefined when it is unknown or revoked; throws what toPrincipal throws. */
  async lookup(key: string): Promise<{ row: ApiKeyTable; principal: Principal } | undefined> {
    const epoch = await this.store.readAuthEpoch();
    const hash = hashApiKey(key);
    const cached = this.entries.get(hash);
    if (cached && (cached.epoch === epoch)) {
      const now = Date.now();
      if (now - cached.lastUsedAt > LAST_USED_RESOLUTION_MS) {
        cached.lastUsedAt = now;
        await touchApiKey(this.store, cached.row.id, now);
      }
      return cached;
    }
    this.entries.delete(hash);
    const row = await findApiKey(this.store, key);
    if (!row) return undefined;
    const principal = await this.toPrincipal(this.store, row);
    // The epoch read before the lookup: a change committed meanwhile makes this entry stale at once.
    this.entries.set(hash, { epoch, row, principal, lastUsedAt: row.last_used_at ?? Date.now() });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return { row, principal };
  }
}
