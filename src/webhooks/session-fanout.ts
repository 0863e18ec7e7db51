/**
 * Session lifecycle webhooks come from the committed event log, not from the append path: for each
 * session of a tenant with endpoints, the dispatcher reads the lifecycle rows past its cursor
 * (`webhook_session_cursors`; seq is gapless per session, so "past the cursor" is exact) and, in
 * one transaction, enqueues their webhook events and moves the cursor with a compare-and-set.
 * Another instance doing the same session at once fails the compare-and-set and rolls back; a
 * crash before the commit leaves the cursor where it was, so the rows are read again.
 */
import type { Store } from '../store/store.ts';
import type { LogRow, SessionToFanOut } from '../store/webhooks-repository.ts';
import { parseJson } from '../store/json.ts';
import type { WebhookEventType } from '../lib/webhook-event-types.ts';

/** The log types that produce webhook events. */
export const LIFECYCLE_LOG_TYPES = ['session.status_running', 'session.status_idle', 'session.status_rescheduled', 'session.status_terminated', 'session.updated'] as const;

/** Webhook event types one log row produces, in the order they are delivered. */
export function webhookTypesFor(row: LogRow, session: Pick<SessionToFanOut, 'archivedAt'>): WebhookEventType[] {
  switch (row.type) {
    case 'session.status_running': return ['session.status_run_started'];
    case 'session.status_rescheduled': return ['session.status_rescheduled'];
    case 'session.updated': return ['session.updated'];
    case 'session.status_terminated':
      // An archive sets archived_at, then commits status_terminated (created_at read from the same clock
      // just after); an archived session takes no further events, so only the archive's is at or after it.
      return session.archivedAt !== null && row.createdAt >= session.archivedAt ? ['session.status_terminated', 'session.archived'] : ['session.status_terminated'];
    case 'session.status_idle': {
      const reason = stopReasonOf(row.payload);
      if (reason === 'requires_action') return ['session.status_idled', 'session.requires_action'];
      if (reason === 'budget_reached') return ['session.status_idled', 'session.budget_reached'];
      return ['session.status_idled'];
    }
    default: return [];
  }
}

/**
 * The idle's stop reason, or undefined when the payload does not read (a row the catalogue would
 * reject): the idle is still reported, and the session's later events are not held up behind it.
 */
function stopReasonOf(payload: string): string | undefined {
  try {
    const reason = parseJson<{ stop_reason?: { type?: unknown } } | null>(payload, 'session_events.payload')?.stop_reason?.type;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}

/** The webhook event id derived from a log row (stable, so a second fan-out collides instead of inventing one). */
const eventIdFor = (rowId: string, k: number): string => `event_${rowId.replace(/^sevt_/, '')}${k === 0 ? '' : `_${k}`}`;

class CursorMovedError extends Error {}

/**
 * Fans out one session's new lifecycle rows (at most `limit` per call). Returns how many webhook
 * events it wrote, or 0 when another instance moved the cursor first.
 */
export async function fanOutSession(store: Store, session: SessionToFanOut, now: number, limit = 500): Promise<number> {
  const since = await store.webhooks.firstEndpointCreatedAt(session.tenantId);
  if (since === undefined) return 0;
  const rows = await store.webhooks.logRows(session.id, { afterSeq: session.cursorSeq ?? 0, uptoSeq: session.lastSeq, types: LIFECYCLE_LOG_TYPES, since, limit });
  const to = rows.length === limit ? rows[rows.length - 1]!.seq : session.lastSeq;
  try {
    return await store.transaction(async (tx) => {
      if (!(await tx.webhooks.advanceCursor(session, session.cursorSeq, to, now))) throw new CursorMovedError();
      let written = 0;
      const enqueue = async (type: WebhookEventType, eventId: string, at: { occurredAt: number; seq: number; order: number }) => {
        if (await tx.webhooks.enqueue(session.tenantId, { type, id: session.id }, { now, occurredAt: at.occurredAt, eventId, session: { id: session.id, seq: at.seq }, order: at.order })) written++;
      };
      if (session.cursorSeq === null) await enqueue('session.created', `event_${session.id.replace(/^sesn_/, '')}_created`, { occurredAt: session.createdAt, seq: 0, order: 0 });
      for (const row of rows) {
        const types = webhookTypesFor(row, session);
        for (const [k, type] of types.entries()) await enqueue(type, eventIdFor(row.id, k), { occurredAt: row.createdAt, seq: row.seq, order: row.seq * 4 + k });
      }
      return written;
    });
  } catch (err) {
    if (err instanceof CursorMovedError || store.isUniqueViolation(err)) return 0;
    throw err;
  }
}

/**
 * Before a session is deleted (its log goes with it): fans out what the dispatcher has not read
 * yet, then, in the delete's own transaction, `enqueueSessionDeleted` records session.deleted.
 */
export async function fanOutBeforeDelete(store: Store, tenantId: string, sessionId: string, now: number): Promise<void> {
  if ((await store.webhooks.firstEndpointCreatedAt(tenantId)) === undefined) return;
  for (let i = 0; i < 100; i++) {
    const session = await store.webhooks.sessionToFanOut(tenantId, sessionId);
    if (!session || (session.cursorSeq !== null && session.cursorSeq >= session.lastSeq)) return;
    await fanOutSession(store, session, now);
  }
}

/** session.deleted, inside the transaction that deletes the session (ordered after its last event). */
export async function enqueueSessionDeleted(tx: Store, tenantId: string, session: { id: string; lastSeq: number }, now: number): Promise<void> {
  const seq = session.lastSeq + 1;
  await tx.webhooks.enqueue(tenantId, { type: 'session.deleted', id: session.id }, { now, eventId: `event_${session.id.replace(/^sesn_/, '')}_deleted`, session: { id: session.id, seq }, order: seq * 4 });
}
