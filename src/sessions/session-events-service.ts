/**
 * Client-sent events: validates each against the session's log (all-or-nothing), commits them,
 * then wakes the harness. Also `_test_emit` and the events list.
 */
import { ConflictError, InvalidRequestError } from '../errors.ts';
import type { EventLog } from '../events/log.ts';
import type { NewEvent, StoredEvent } from '../events/types.ts';
import { newEvent, toWireEvent, toWireJson } from '../events/types.ts';
import {
  UNSUPPORTED_SEND_TYPES, SPEC_EVENT_TYPES, userCustomToolResultSchema, userInterruptSchema, userMessageSchema, userToolConfirmationSchema, type EventParam,
} from '../api/schemas/events.ts';
import type { Store } from '../store/store.ts';
import type { SessionTable } from '../store/schema.ts';
import type { SessionService, SessionLifecycle } from './session-service.ts';
import { zodMessage } from '../api/validation.ts';

export interface ListQuery {
  limit: number; page?: string; order: 'asc' | 'desc'; types?: string[]; includeExtensions: boolean;
  processedGt?: number; processedGte?: number; processedLt?: number; processedLte?: number;
}

const ANSWER_TYPES: Record<string, { field: 'custom_tool_use_id' | 'tool_use_id'; answers: string }> = {
  'user.custom_tool_result': { field: 'custom_tool_use_id', answers: 'agent.custom_tool_use' },
  'user.tool_confirmation': { field: 'tool_use_id', answers: 'agent.tool_use' },
};

const SENDABLE_SCHEMAS: Record<string, typeof userMessageSchema | typeof userInterruptSchema | typeof userCustomToolResultSchema | typeof userToolConfirmationSchema> = {
  'user.message': userMessageSchema,
  'user.interrupt': userInterruptSchema,
  'user.custom_tool_result': userCustomToolResultSchema,
  'user.tool_confirmation': userToolConfirmationSchema,
};

/** What a session paused at its budget accepts (reference §4.8); interrupts among them are dropped. */
const SETTLE_TYPES = ['user.tool_confirmation', 'user.tool_result', 'user.custom_tool_result', 'user.interrupt'];

function settleEventsOnly(sessionId: string, events: EventParam[]): EventParam[] {
  const refused = events.findIndex((e) => !SETTLE_TYPES.includes(e.type));
  if (refused >= 0) {
    throw new InvalidRequestError(
      `events[${refused}]: session ${sessionId} is paused at its budget and accepts only ${SETTLE_TYPES.join(', ')}; raise the budget (or remove it with "budget": null) to continue`,
      { details: { error_code: 'budget_reached' } },
    );
  }
  return events.filter((e) => e.type !== 'user.interrupt');
}

export class SessionEventsService {
  constructor(private readonly deps: { store: Store; log: EventLog; sessions: SessionService; lifecycle: SessionLifecycle }) {}

  async send(tenantId: string, sessionId: string, raw: { type: string }[]): Promise<{ data: Record<string, unknown>[] }> {
    const session = await this.deps.sessions.getRow(tenantId, sessionId);
    const events = raw.map((e, i) => this.parse(e, i));
    if (session.archived_at !== null || session.status === 'terminated') {
      throw new ConflictError(`session ${sessionId} is terminated; it accepts no more events. Start a new session`);
    }
    if (!session.agent && events.some((e) => e.type !== 'user.interrupt')) {
      throw new InvalidRequestError(`session ${sessionId} was created without an agent, so nothing can answer ${events[0]!.type}; create a session with "agent": "<agent id>"`);
    }
    await this.checkAnswers(tenantId, sessionId, events);
    const accepted = (await this.isBudgetPaused(session)) ? settleEventsOnly(sessionId, events) : events;
    // An interrupt sent while budget-paused is accepted but neither stored nor echoed (reference §4.6).
    if (accepted.length === 0) return { data: [] };
    const now = Date.now();
    const newEvents = accepted.map((e) => toNewEvent(e, now));
    const stored = await this.deps.log.append(tenantId, sessionId, newEvents);
    this.deps.lifecycle.wake(sessionId, { interrupt: accepted.some((e) => e.type === 'user.interrupt') });
    return { data: stored.map(toWireEvent) };
  }

  /** Whether the session is paused at its budget: idle, and its last idle was budget_reached. */
  private async isBudgetPaused(session: SessionTable): Promise<boolean> {
    if (session.status !== 'idle' || !session.budget) return false;
    const [last] = await this.deps.store.events.list(session.tenant_id, session.id, { order: 'desc', types: ['session.status_idle'], limit: 1 });
    return (last?.payload.stop_reason as { type?: string } | undefined)?.type === 'budget_reached';
  }

  private parse(raw: { type: string }, index: number): EventParam {
    if (UNSUPPORTED_SEND_TYPES[raw.type]) throw new InvalidRequestError(`events[${index}]: ${UNSUPPORTED_SEND_TYPES[raw.type]}`);
    // Parse with the schema of the named type, so a failure names the field (a union would only say "Invalid input").
    const schema = SENDABLE_SCHEMAS[raw.type];
    if (!schema) {
      throw new InvalidRequestError(`events[${index}].type: ${JSON.stringify(raw.type)} is not an event a client can send; use user.message, user.interrupt, user.custom_tool_result or user.tool_confirmation`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new InvalidRequestError(`events[${index}]${zodMessage(parsed.error)}`);
    return parsed.data as EventParam;
  }

  /** Tool answers must name an open request of the right kind, once. */
  private async checkAnswers(tenantId: string, sessionId: string, events: EventParam[]): Promise<void> {
    const seen = new Set<string>();
    for (const [i, e] of events.entries()) {
      const rule = ANSWER_TYPES[e.type];
      if (!rule) continue;
      const target = (e as Record<string, string>)[rule.field]!;
      if (seen.has(target)) throw new InvalidRequestError(`events[${i}].${rule.field}: ${target} is answered twice in this request`);
      seen.add(target);
      const request = await this.deps.store.events.findById(tenantId, sessionId, target);
      // A confirmation answers a built-in call or an MCP call alike.
      const answerable = rule.answers === 'agent.tool_use' ? ['agent.tool_use', 'agent.mcp_tool_use'] : [rule.answers];
      if (!request || !answerable.includes(request.type)) throw new InvalidRequestError(`events[${i}].${rule.field}: ${target} is not an ${answerable.join(' or ')} event of session ${sessionId}`);
      if (rule.answers === 'agent.tool_use' && request.payload.evaluated_permission !== 'ask') {
        throw new InvalidRequestError(`events[${i}].tool_use_id: ${target} did not ask for confirmation (evaluated_permission is ${String(request.payload.evaluated_permission)})`);
      }
      const answered = await this.deps.store.events.list(tenantId, sessionId, { afterSeq: request.seq, order: 'asc', types: [e.type, 'agent.tool_result'], limit: 100_000 });
      if (answered.some((a) => a.payload[rule.field] === target && (a.type === e.type || rule.answers === 'agent.custom_tool_use'))) {
        throw new InvalidRequestError(`events[${i}].${rule.field}: ${target} has already been answered`);
      }
    }
  }

  /**
   * Appends a synthetic agent.message (demo and tests); never starts a turn. No session read first:
   * the append itself bumps the session row only where id and tenant match, and answers
   * NotFoundError (the same 404 getRow gives) when none does, writing nothing.
   */
  async testEmit(tenantId: string, sessionId: string, text: string): Promise<Record<string, unknown>> {
    const [event] = await this.deps.log.append(tenantId, sessionId, [{ type: 'agent.message', payload: { content: [{ type: 'text', text }] }, processedAt: Date.now() }]);
    return toWireEvent(event!);
  }

  async list(tenantId: string, sessionId: string, q: ListQuery) {
    const { events, nextPage } = await this.page(tenantId, sessionId, q);
    return { data: events.map(toWireEvent), next_page: nextPage };
  }

  /** The list response as JSON text, stored payloads spliced in rather than serialised again. */
  async listJson(tenantId: string, sessionId: string, q: ListQuery): Promise<string> {
    const { events, nextPage } = await this.page(tenantId, sessionId, q);
    return `{"data":[${events.map(toWireJson).join(',')}],"next_page":${JSON.stringify(nextPage)}}`;
  }

  private async page(tenantId: string, sessionId: string, q: ListQuery): Promise<{ events: StoredEvent[]; nextPage: string | null }> {
    await this.deps.sessions.getRow(tenantId, sessionId);
    const cursor = q.page ? decodeSeqCursor(q.page, q.order) : undefined;
    const types = q.types ?? (q.includeExtensions ? undefined : [...SPEC_EVENT_TYPES]);
    const rows = await this.deps.log.list(tenantId, sessionId, {
      order: q.order,
      limit: q.limit + 1,
      types,
      afterSeq: q.order === 'asc' ? cursor : undefined,
      beforeSeq: q.order === 'desc' ? cursor : undefined,
      processedGt: q.processedGt, processedGte: q.processedGte, processedLt: q.processedLt, processedLte: q.processedLte,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { events: page, nextPage: rows.length > q.limit && last ? encodeSeqCursor(last, q.order) : null };
  }
}

/** A client's event as stored: its fields become the payload; a tool result needs no queueing. */
function toNewEvent(event: EventParam, now: number): NewEvent {
  switch (event.type) {
    case 'user.message': {
      const { type, ...payload } = event;
      return newEvent(type, payload, null);
    }
    case 'user.interrupt': {
      const { type, ...payload } = event;
      return newEvent(type, payload, null);
    }
    case 'user.tool_confirmation': {
      const { type, ...payload } = event;
      return newEvent(type, payload, null);
    }
    case 'user.custom_tool_result': {
      const { type, ...payload } = event;
      return newEvent(type, payload, now);
    }
    default: {
      const unreachable: never = event;
      throw new Error(`unhandled client event ${JSON.stringify(unreachable)}`);
    }
  }
}

function encodeSeqCursor(event: StoredEvent, order: 'asc' | 'desc'): string {
  return `page_${Buffer.from(JSON.stringify({ s: event.seq, o: order })).toString('base64url')}`;
}

function decodeSeqCursor(page: string, order: 'asc' | 'desc'): number {
  try {
    const c = JSON.parse(Buffer.from(page.replace(/^page_/, ''), 'base64url').toString('utf8')) as { s: number; o: string };
    if (typeof c.s !== 'number') throw new Error('bad cursor');
    if (c.o !== order) throw new InvalidRequestError(`page: this cursor was made with order=${c.o}; repeat the query with order=${c.o}`);
    return c.s;
  } catch (err) {
    if (err instanceof InvalidRequestError) throw err;
    throw new InvalidRequestError(`page: ${JSON.stringify(page)} is not a cursor returned by this endpoint`);
  }
}

export { SPEC_EVENT_TYPES };
