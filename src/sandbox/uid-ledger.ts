/**
 * Which outside uid each bwrap session runs as (issue #24, finding 12: uids were 10,000 hash slots,
 * so two tenants' sessions could share a uid and its process limit). A ledger hands each session
 * its own uid from the range and takes it back when the session is deleted. The server's ledger is
 * a table (store/sandbox-uids-repository.ts), shared by every instance on one database; this
 * in-memory one serves providers built without a store (tests, the boot probe).
 */
import type { UidRange } from './bwrap-host.ts';

export interface SessionUidLedger {
  /** The session's uid: the one it already holds, else a free one. Throws when the range is full. */
  uidFor(sessionId: string): Promise<number>;
  /** Frees the session's uid (its directory and processes are gone). */
  release(sessionId: string): Promise<void>;
}

/**
 * A uid of `range` not in `taken` (sorted ascending), picked at random so that instances allocating
 * at once rarely pick the same one; undefined when every uid is taken.
 */
export function pickFreeUid(range: UidRange, taken: number[], random: () => number = Math.random): number | undefined {
  const free = range.count - taken.filter((uid) => uid >= range.base && uid < range.base + range.count).length;
  if (free <= 0) return undefined;
  let skip = Math.floor(random() * free);
  let candidate = range.base;
  let index = 0;
  for (;;) {
    while (index < taken.length && taken[index]! < candidate) index++;
    if (taken[index] !== candidate) {
      if (skip === 0) return candidate;
      skip--;
    }
    candidate++;
  }
}

export function uidRangeFullMessage(range: UidRange): string {
  return `every sandbox uid of ${range.base}–${range.base + range.count - 1} belongs to a session; delete sessions to free some`;
}

export class MemoryUidLedger implements SessionUidLedger {
  private readonly bySession = new Map<string, number>();

  constructor(private readonly range: UidRange) {}

  async uidFor(sessionId: string): Promise<number> {
    const held = this.bySession.get(sessionId);
    if (held !== undefined) return held;
    const uid = pickFreeUid(this.range, [...this.bySession.values()].sort((a, b) => a - b));
    if (uid === undefined) throw new Error(uidRangeFullMessage(this.range));
    this.bySession.set(sessionId, uid);
    return uid;
  }

  async release(sessionId: string): Promise<void> {
    this.bySession.delete(sessionId);
  }
}
