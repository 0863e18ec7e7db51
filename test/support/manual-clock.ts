/**
 * A clock a test moves forward instead of sleeping: real time plus an offset that `advance` grows,
 * so leases and timers still behave while the test makes timestamps differ on purpose.
 */
import type { Clock } from '../../src/lib/clock.ts';

export class ManualClock implements Clock {
  #offsetMs = 0;
  #last = 0;

  now(): number {
    this.#last = Math.max(this.#last, Date.now() + this.#offsetMs);
    return this.#last;
  }

  /** Moves this clock `ms` milliseconds ahead. */
  advance(ms: number): void {
    this.#offsetMs += ms;
  }
}
