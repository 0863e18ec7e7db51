/**
 * Poison sessions. A step that throws something other than a model failure (a bug, a row the event
 * catalogue rejects, a database error) is committed as `oma.step_failed` with the error's class and a
 * redacted message, and retried with backoff. After STEP_FAILURE_LIMIT consecutive failures (no
 * progress event in between) the session gets `session.error` and goes idle with
 * `retries_exhausted`; its queued input is consumed with that commit, so nothing wakes it again until
 * a client sends something new. The trade-off: a transient fault that outlasts the retries (a
 * database restarting) ends the turn instead of waiting for it; the log says so, and the next
 * message starts over. The count is read from event types only, never payloads, so a log that no
 * longer validates can still be given up on.
 */
import type { EventLog } from '../events/log.ts';
import { newEvent, type EventType, type NewEvent } from '../events/types.ts';
import type { Store } from '../store/store.ts';

/** Consecutive failures of the same step after which the session is given up. */
export const STEP_FAILURE_LIMIT = 3;

/** Events that show a session moved on: a failure before one of them does not count toward the limit. */
const PROGRESS_TYPES: EventType[] = ['oma.model_response', 'agent.tool_result', 'user.custom_tool_result', 'session.status_idle', 'session.status_terminated'];

const MAX_MESSAGE_CHARS = 1000;

/** Error text as it may be stored: credentials in URLs, bearer tokens and API keys blanked, length capped. */
export function redactErrorMessage(message: string): string {
  const redacted = message
    .replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[redacted]@')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(/\b(sk|pk|rk)-[A-Za-z0-9_-]{6,}/g, '$1-[redacted]');
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}…` : redacted;
}

export function describeError(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name || error.constructor.name, message: redactErrorMessage(error.message) };
  return { type: typeof error, message: redactErrorMessage(String(error)) };
}

export interface StepFailureContext {
  store: Store;
  log: EventLog;
  tenantId: string;
  sessionId: string;
  lease: { owner: string; token: number };
  limit?: number;
}

/**
 * Commits the failure (and, at the limit, the session's end). Returns the consecutive count and
 * whether the session was given up. Throws what the append throws (e.g. LeaseLostError).
 */
export async function recordStepFailure(ctx: StepFailureContext, error: unknown, now: number): Promise<{ failures: number; exhausted: boolean }> {
  const limit = ctx.limit ?? STEP_FAILURE_LIMIT;
  const recent = await ctx.store.events.latestTypes(ctx.tenantId, ctx.sessionId, { types: ['oma.step_failed', ...PROGRESS_TYPES], limit });
  const streak = recent.findIndex((event) => event.type !== 'oma.step_failed');
  const failures = (streak === -1 ? recent.length : streak) + 1;
  const described = describeError(error);
  const events: NewEvent[] = [newEvent('oma.step_failed', { error: described, failures }, now)];
  if (failures < limit) {
    await ctx.log.append(ctx.tenantId, ctx.sessionId, events, { lease: ctx.lease });
    return { failures, exhausted: false };
  }
  const message = `The server failed to advance this session ${failures} times in a row (last: ${described.type}: ${described.message}). ` +
    'Queued input was dropped; send a new message to try again, and report the error if it persists.';
  events.push(
    newEvent('session.error', { error: { type: 'unknown_error', message, retry_status: { type: 'exhausted' } } }, now),
    newEvent('session.status_idle', { stop_reason: { type: 'retries_exhausted' }, stop_details: null }, now),
  );
  const queued = await ctx.store.events.queuedInputIds(ctx.tenantId, ctx.sessionId);
  await ctx.log.append(ctx.tenantId, ctx.sessionId, events, { lease: ctx.lease, markProcessed: queued, sessionPatch: { status: 'idle', turn_id: null } });
  return { failures, exhausted: true };
}
