/**
 * Event shapes inside the server. A stored event is a row of the session's log; `toWireEvent`
 * gives the object clients see (`{type, id, …fields, processed_at}`). Our own bookkeeping types
 * start with "oma." and never reach a client that did not opt in.
 */
import { toIso } from '../lib/time.ts';

/** Extension (non-spec) event types, stored in the log for recovery and diagnostics. */
export const EXTENSION_TYPES = {
  /** A tool's side effect is about to start: committed before the tool runs. */
  toolExecutionStarted: 'oma.tool_execution_started',
  /** The turn was taken over after a crash or lease expiry. */
  turnRecovered: 'oma.turn_recovered',
  /** A user event was consumed by the harness (marks processed_at of queued events). */
  userEventProcessed: 'oma.user_event_processed',
} as const;

export interface NewEvent {
  type: string;
  /** Fields other than id/type/processed_at. */
  payload: Record<string, unknown>;
  /** Epoch ms, or null for user events queued behind earlier input. */
  processedAt: number | null;
  /** Pre-assigned id (sevt_…); generated when absent. */
  id?: string;
}

export interface StoredEvent {
  sessionId: string;
  seq: number;
  id: string;
  type: string;
  payload: Record<string, unknown>;
  processedAt: number | null;
  createdAt: number;
}

export function toWireEvent(event: StoredEvent): Record<string, unknown> {
  return { type: event.type, id: event.id, ...event.payload, processed_at: toIso(event.processedAt) };
}

/** A live-only frame (event_start / event_delta): never stored, never replayed. */
export interface EphemeralEvent {
  sessionId: string;
  /** Which buffered event type it previews, for event_deltas[] filtering. */
  previews: 'agent.message' | 'agent.thinking';
  data: Record<string, unknown>;
}
