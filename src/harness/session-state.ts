/**
 * What the next step of a session is decided from: a read-only view of its folded log
 * (session-fold.ts). `deriveSessionState` folds a whole log; the harness instead keeps the fold of
 * a session it holds and asks for a fresh view before each step. Pure: the same log always gives
 * the same state, which is what makes recovery "just advance()".
 */
import { EXTENSION_TYPES, readEvent, type StoredEvent } from '../events/types.ts';
import type { ModelMessage } from './model/model-content.ts';
import { flushUserContent, foldLog, isAnswered, type FoldState, type SessionStatus, type ToolUseState } from './session-fold.ts';

export type { ToolUseState } from './session-fold.ts';

export const MODEL_RESPONSE = EXTENSION_TYPES.modelResponse;
export const USER_EVENTS_PROCESSED = EXTENSION_TYPES.userEventProcessed;

export interface SessionState {
  status: SessionStatus;
  lastIdleReason?: { type: string; event_ids?: string[] };
  /** Ids of unprocessed user.message events, in log order. */
  queuedMessages: string[];
  /** Ids of unprocessed user.interrupt events, in log order. */
  queuedInterrupts: string[];
  /**
   * Unprocessed user.tool_confirmation events that answer a call the session is waiting for (idle on
   * requires_action): the step that resumes the turn, or asks again for the rest, consumes them in
   * its own commit. An allow or a deny alike: a deny must not be consumed on its own, or a crash
   * between that commit and the resume would leave the session idle with nothing left to wake it.
   */
  answeringConfirmations: string[];
  /**
   * Unprocessed user.tool_confirmation events that no step would consume because their call no
   * longer waits (e.g. answered meanwhile by an interrupt, or the session is not waiting).
   */
  staleConfirmations: string[];
  /** A model request whose start span has no end (interrupted by a crash). */
  openSpan?: { id: string };
  /** Tool uses of the latest model response, if the history ends with it (copies). */
  pendingTools: ToolUseState[];
  messages: ModelMessage[];
  /** The turn ended with the model's last answer (history ends with an assistant message without tools). */
  turnEnded: boolean;
  lastStopReason?: string;
}

/** The view of a fold; shares nothing mutable with it. */
export function viewOf(fold: FoldState): SessionState {
  const messages = [...fold.messages];
  flushUserContent(messages, fold.userContent);
  const pendingTools = fold.openTools.map((id) => ({ ...fold.tools[id]! }));
  const waiting = fold.status === 'idle' && fold.lastIdleReason?.type === 'requires_action';
  const waitingFor = new Set(waiting ? (fold.lastIdleReason?.event_ids ?? []) : []);
  const answeringConfirmations: string[] = [];
  const staleConfirmations: string[] = [];
  for (const c of fold.unprocessedConfirmations) {
    const t = fold.tools[c.toolEventId];
    const answers = waitingFor.has(c.toolEventId) && t !== undefined && t.result === undefined && t.confirmation?.eventId === c.eventId;
    (answers ? answeringConfirmations : staleConfirmations).push(c.eventId);
  }
  const openSpanId = fold.openSpans.at(-1);
  return {
    status: fold.status,
    ...(fold.lastIdleReason ? { lastIdleReason: fold.lastIdleReason } : {}),
    queuedMessages: [...fold.queuedMessages],
    queuedInterrupts: [...fold.queuedInterrupts],
    answeringConfirmations,
    staleConfirmations,
    ...(openSpanId ? { openSpan: { id: openSpanId } } : {}),
    pendingTools,
    messages,
    turnEnded: messages.at(-1)?.role === 'assistant' && fold.openTools.length === 0,
    ...(fold.lastStopReason !== undefined ? { lastStopReason: fold.lastStopReason } : {}),
  };
}

/** Folds a whole stored log (validating every event) and returns its view. Throws CorruptEventError. */
export function deriveSessionState(events: StoredEvent[]): SessionState {
  return viewOf(foldLog(events.map(readEvent)));
}

/** Tool uses that wait for the client: custom calls without result, asks without confirmation. */
export function blockingTools(state: SessionState): ToolUseState[] {
  return state.pendingTools.filter((t) => !isAnswered(t) && (t.kind === 'custom' || (t.permission === 'ask' && !t.confirmation)));
}

/** The next tool the server itself should run (or answer), if any. */
export function nextRunnableTool(state: SessionState): ToolUseState | undefined {
  return state.pendingTools.find((t) => !isAnswered(t) && t.kind !== 'custom' && (t.permission !== 'ask' || t.confirmation?.result === 'allow'));
}
