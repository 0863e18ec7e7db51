/**
 * The folded log of a session this worker holds the lease of. The whole log is read once, when the
 * worker takes the session over; after that every commit the worker makes is folded as it returns,
 * and what other writers committed meanwhile (client input, archive) is read by seq, from the last
 * folded event on. This is sound because only the lease holder sets processed_at (the one stored
 * field that changes later), and it does so in its own commits, whose marks are applied here.
 */
import { readEvent, type StoredEvent } from '../events/types.ts';
import type { Store } from '../store/store.ts';
import { foldEvent, foldLog, markProcessed, type FoldState } from './session-fold.ts';
import { viewOf, type SessionState } from './session-state.ts';

export class HeldSession {
  private constructor(
    private readonly store: Store,
    private readonly scope: { tenantId: string; sessionId: string },
    private readonly fold: FoldState,
  ) {}

  /** Reads and folds the whole log. Throws CorruptEventError on an event the catalogue rejects. */
  static async load(store: Store, scope: { tenantId: string; sessionId: string }): Promise<HeldSession> {
    const events = await store.events.list(scope.tenantId, scope.sessionId, { order: 'asc', limit: Number.MAX_SAFE_INTEGER });
    return new HeldSession(store, scope, foldLog(events.map(readEvent)));
  }

  /** Seq of the last folded event. */
  get lastSeq(): number {
    return this.fold.lastSeq;
  }

  /** Folds what was committed after the last folded event (by anyone). */
  async catchUp(): Promise<void> {
    const events = await this.store.events.list(this.scope.tenantId, this.scope.sessionId, { order: 'asc', afterSeq: this.fold.lastSeq, limit: Number.MAX_SAFE_INTEGER });
    for (const event of events) foldEvent(this.fold, readEvent(event));
  }

  /**
   * Folds this worker's own commit and the processed marks it set. When another writer committed
   * in between (a gap before `stored`), the events are left for the next `catchUp`, which reads
   * them in order.
   */
  committed(stored: StoredEvent[], marked: readonly string[] = []): void {
    markProcessed(this.fold, marked);
    if (stored.length === 0 || stored[0]!.seq !== this.fold.lastSeq + 1) return;
    for (const event of stored) foldEvent(this.fold, readEvent(event));
  }

  /** A fresh view for deciding the next step; shares nothing mutable with the fold. */
  view(): SessionState {
    return viewOf(this.fold);
  }
}
