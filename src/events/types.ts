/**
 * The event catalogue inside the server. `EVENT_PAYLOAD_SCHEMAS` (event-schemas.ts) lists every
 * stored type; from it come `NewEvent` (what may be appended, checked by the compiler) and
 * `LogEvent` (a stored event whose payload was validated when read, by `readEvent`). A
 * `StoredEvent` is a row as the log holds it, payload not interpreted: what streams and lists send
 * (`toWireEvent` gives `{type, id, …fields, processed_at}`). Our own bookkeeping types start with
 * "oma." and never reach a client that did not opt in.
 */
import type { z } from 'zod';
import { toIso } from '../lib/time.ts';
import { storedPayloadText } from '../store/json.ts';
import { EVENT_PAYLOAD_SCHEMAS } from './event-schemas.ts';

/** Extension (non-spec) event types, stored in the log for recovery and diagnostics. */
export const EXTENSION_TYPES = {
  /** A tool's side effect is about to start: committed before the tool runs. */
  toolExecutionStarted: 'oma.tool_execution_started',
  /** The turn was taken over after a crash or lease expiry. */
  turnRecovered: 'oma.turn_recovered',
  /** A user event was consumed by the harness (marks processed_at of queued events). */
  userEventProcessed: 'oma.user_event_processed',
  /** The complete model response, from which the history is rebuilt. */
  modelResponse: 'oma.model_response',
  /** An unexpected step failure (poison-session accounting). */
  stepFailed: 'oma.step_failed',
} as const;

type Schemas = typeof EVENT_PAYLOAD_SCHEMAS;
/** Every event type the log may hold. */
export type EventType = keyof Schemas;
/** The payload of a stored event of type T, as validated on read. */
export type EventPayload<T extends EventType> = z.output<Schemas[T]>;
/** The payload a writer gives for type T. */
export type EventPayloadInput<T extends EventType> = z.input<Schemas[T]>;

export const EVENT_TYPES = new Set<string>(Object.keys(EVENT_PAYLOAD_SCHEMAS));

export function isEventType(type: string): type is EventType {
  return EVENT_TYPES.has(type);
}

interface NewEventOf<T extends EventType> {
  type: T;
  /** Fields other than id/type/processed_at. */
  payload: EventPayloadInput<T>;
  /** Epoch ms, or null for user events queued behind earlier input. */
  processedAt: number | null;
  /** Pre-assigned id (sevt_…); generated when absent. */
  id?: string;
}

/** An event to append: one member per catalogue type, so a wrong payload is a compile error. */
export type NewEvent = { [T in EventType]: NewEventOf<T> }[EventType];

/** A row of the session's log, payload as stored (not interpreted). */
export interface StoredEvent {
  sessionId: string;
  seq: number;
  id: string;
  type: string;
  payload: Record<string, unknown>;
  processedAt: number | null;
  createdAt: number;
}

export interface LogEventOf<T extends EventType> extends Omit<StoredEvent, 'type' | 'payload'> {
  type: T;
  payload: EventPayload<T>;
}

/** A stored event whose type is in the catalogue and whose payload passed its schema. */
export type LogEvent = { [T in EventType]: LogEventOf<T> }[EventType];

/** A stored event that does not match the catalogue: unknown type or invalid payload. */
export class CorruptEventError extends Error {
  readonly sessionId: string;
  readonly seq: number;
  constructor(event: Pick<StoredEvent, 'sessionId' | 'seq' | 'type'>, detail: string) {
    super(`event seq ${event.seq} (${event.type}) of session ${event.sessionId} does not match the event catalogue: ${detail}`);
    this.name = 'CorruptEventError';
    this.sessionId = event.sessionId;
    this.seq = event.seq;
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(payload)'}: ${issue.message}`).join('; ');
}

/** Validates a stored event against the catalogue. Throws CorruptEventError naming session and seq. */
export function readEvent(event: StoredEvent): LogEvent {
  if (!isEventType(event.type)) throw new CorruptEventError(event, `unknown event type ${JSON.stringify(event.type)}`);
  const parsed = EVENT_PAYLOAD_SCHEMAS[event.type].safeParse(event.payload);
  if (!parsed.success) throw new CorruptEventError(event, describeIssues(parsed.error));
  return { ...event, payload: parsed.data } as LogEvent;
}

/** Builds an event to append; the payload is checked against the type at compile time. */
export function newEvent<T extends EventType>(type: T, payload: EventPayloadInput<T>, processedAt: number | null, id?: string): NewEvent {
  const event = { type, payload, processedAt, ...(id === undefined ? {} : { id }) };
  return event as NewEvent;
}

export function toWireEvent(event: StoredEvent): Record<string, unknown> {
  return { type: event.type, id: event.id, ...event.payload, processed_at: toIso(event.processedAt) };
}

/**
 * JSON.stringify(toWireEvent(event)) without serialising the payload again: the stored payload
 * text is spliced between type/id and processed_at (same members, same order; a payload key that
 * toWireEvent overrides is overridden the same way, being the later duplicate). Events whose
 * payload was not read from the log are serialised.
 */
export function toWireJson(event: StoredEvent): string {
  const text = storedPayloadText(event.payload);
  if (text === undefined || !text.startsWith('{') || !text.endsWith('}')) return JSON.stringify(toWireEvent(event));
  const inner = text.slice(1, -1).trim();
  return `{"type":${JSON.stringify(event.type)},"id":${JSON.stringify(event.id)}${inner === '' ? '' : `,${inner}`},"processed_at":${JSON.stringify(toIso(event.processedAt))}}`;
}

/** A live-only frame (event_start / event_delta): never stored, never replayed. */
export interface EphemeralEvent {
  sessionId: string;
  /** Which buffered event type it previews, for event_deltas[] filtering. */
  previews: 'agent.message' | 'agent.thinking';
  data: Record<string, unknown>;
}
