/**
 * The clock port: every timestamp the server writes comes from one `Clock` passed in at the
 * composition root (server.ts), so a test can move time instead of sleeping. Epoch milliseconds.
 */
export interface Clock {
  /** The current time, epoch milliseconds. Never goes backwards for one clock. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
