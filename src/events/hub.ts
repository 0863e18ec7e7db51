/**
 * Live fan-out of committed events to open streams of the same session. `publish` is called only
 * after the events' transaction committed. Listeners must be cheap and never throw: each stream
 * keeps its own bounded queue, so one slow client cannot hold up the others.
 */
import type { EphemeralEvent, StoredEvent } from './types.ts';

export type HubMessage =
  | { kind: 'events'; events: StoredEvent[] }
  | { kind: 'ephemeral'; event: EphemeralEvent }
  | { kind: 'deleted'; sessionId: string; seq: number };

export type HubListener = (message: HubMessage) => void;

export interface EventHub {
  /** Delivers committed events to every subscriber of their session. */
  publish(sessionId: string, message: HubMessage): void;
  /** Registers a listener; returns the function that removes it. */
  subscribe(sessionId: string, listener: HubListener): () => void;
  /** Number of open subscriptions (for /health and benchmarks). */
  subscriberCount(): number;
}

export class InProcessEventHub implements EventHub {
  private readonly listeners = new Map<string, Set<HubListener>>();
  /** Highest seq published per session that has subscribers (for the cross-instance relay). */
  private readonly published = new Map<string, number>();
  private count = 0;

  publish(sessionId: string, message: HubMessage): void {
    const set = this.listeners.get(sessionId);
    if (!set) return;
    const last = message.kind === 'events' ? message.events.at(-1)?.seq : undefined;
    if (last !== undefined && last > (this.published.get(sessionId) ?? 0)) this.published.set(sessionId, last);
    for (const listener of [...set]) listener(message);
  }

  /** Sessions with at least one open subscription. */
  subscribedSessions(): string[] {
    return [...this.listeners.keys()];
  }

  /** Highest seq published to the session's current subscribers (0 if none yet), or undefined without subscribers. */
  lastPublishedSeq(sessionId: string): number | undefined {
    return this.listeners.has(sessionId) ? (this.published.get(sessionId) ?? 0) : undefined;
  }

  subscribe(sessionId: string, listener: HubListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.listeners.set(sessionId, set);
    }
    set.add(listener);
    this.count++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.count--;
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(sessionId);
        this.published.delete(sessionId);
      }
    };
  }

  subscriberCount(): number {
    return this.count;
  }
}
