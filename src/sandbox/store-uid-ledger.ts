/** The server's sandbox uid ledger: the `sandbox_uids` table, shared by every instance on one database. */
import type { Store } from '../store/store.ts';
import type { UidRange } from './bwrap-host.ts';
import { pickFreeUid, uidRangeFullMessage, type SessionUidLedger } from './uid-ledger.ts';

/** Two instances may pick the same free uid at once; the loser's insert fails and it picks again. */
const ALLOCATION_ATTEMPTS = 8;

export class StoreUidLedger implements SessionUidLedger {
  constructor(private readonly store: Store, private readonly range: UidRange) {}

  async uidFor(sessionId: string): Promise<number> {
    let lastError: unknown;
    for (let attempt = 0; attempt < ALLOCATION_ATTEMPTS; attempt++) {
      try {
        return await this.store.transaction(async (tx) => {
          const held = await tx.sandboxUids.findBySession(sessionId);
          if (held !== undefined) return held;
          const uid = pickFreeUid(this.range, await tx.sandboxUids.listTaken(this.range.base, this.range.base + this.range.count));
          if (uid === undefined) throw new Error(uidRangeFullMessage(this.range));
          await tx.sandboxUids.insert(uid, sessionId, Date.now());
          return uid;
        });
      } catch (error) {
        // Retry with a bound: only a lost race (unique violation) is worth another pick.
        if (!this.store.isUniqueViolation(error)) throw error;
        lastError = error;
      }
    }
    throw new Error(`could not allocate a sandbox uid for ${sessionId} after ${ALLOCATION_ATTEMPTS} attempts`, { cause: lastError });
  }

  async release(sessionId: string): Promise<void> {
    await this.store.sandboxUids.release(sessionId);
  }
}
