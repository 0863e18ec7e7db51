/**
 * Derives everything the harness needs from a session's log: status, queued input, the model
 * history, and the tool uses of the latest model response with how far each got. Pure: the same
 * log always gives the same state, which is what makes recovery "just advance()".
 */
import type { StoredEvent } from '../events/types.ts';
import { EXTENSION_TYPES } from '../events/types.ts';
import type { ModelInputBlock, ModelMessage, ModelToolResultBlock } from './model/model-content.ts';

export const MODEL_RESPONSE = 'oma.model_response';
export const USER_EVENTS_PROCESSED = EXTENSION_TYPES.userEventProcessed;

export interface ToolUseState {
  /** The agent.tool_use / agent.custom_tool_use event id (sevt_…). */
  eventId: string;
  /** The model's tool_use id (toolu_…). */
  toolUseId: string;
  name: string;
  input: unknown;
  kind: 'builtin' | 'custom';
  permission: 'allow' | 'ask' | 'deny';
  confirmation?: { result: 'allow' | 'deny'; denyMessage?: string | null; eventId: string };
  result?: { content: unknown[]; isError: boolean };
  started: boolean;
}

export interface SessionState {
  status: 'idle' | 'running' | 'rescheduling' | 'terminated' | 'none';
  lastIdleReason?: { type: string; event_ids?: string[] };
  queuedMessages: StoredEvent[];
  queuedInterrupts: StoredEvent[];
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
  openSpan?: StoredEvent;
  /** Tool uses of the latest model response, if the history ends with it. */
  pendingTools: ToolUseState[];
  messages: ModelMessage[];
  /** The turn ended with the model's last answer (history ends with an assistant message without tools). */
  turnEnded: boolean;
  lastStopReason?: string;
}

type Content = ModelInputBlock[];

function toolResultBlock(t: ToolUseState): ModelToolResultBlock {
  if (t.result) return { type: 'tool_result', tool_use_id: t.toolUseId, content: t.result.content as ModelToolResultBlock['content'], is_error: t.result.isError };
  if (t.confirmation?.result === 'deny') {
    const text = `The user denied this tool call.${t.confirmation.denyMessage ? ` Their message: ${t.confirmation.denyMessage}` : ''}`;
    return { type: 'tool_result', tool_use_id: t.toolUseId, content: [{ type: 'text', text }], is_error: true };
  }
  return { type: 'tool_result', tool_use_id: t.toolUseId, content: [{ type: 'text', text: 'This tool call was not run: the turn was interrupted before it completed.' }], is_error: true };
}

const isAnswered = (t: ToolUseState) => t.result !== undefined || t.confirmation?.result === 'deny';

export function deriveSessionState(events: StoredEvent[]): SessionState {
  const state: SessionState = { status: 'none', queuedMessages: [], queuedInterrupts: [], answeringConfirmations: [], staleConfirmations: [], pendingTools: [], messages: [], turnEnded: false };
  const unprocessedConfirmations: { eventId: string; toolEventId: string }[] = [];
  const byId = new Map(events.map((e) => [e.id, e]));
  const tools = new Map<string, ToolUseState>();
  let open: ToolUseState[] = [];
  let userContent: Content = [];
  const openSpans = new Map<string, StoredEvent>();

  const pushAssistant = (content: Content) => {
    flushUser();
    state.messages.push({ role: 'assistant', content });
  };
  function flushUser() {
    if (userContent.length === 0) return;
    const last = state.messages[state.messages.length - 1];
    if (last?.role === 'user' && Array.isArray(last.content)) last.content.push(...userContent);
    else state.messages.push({ role: 'user', content: userContent });
    userContent = [];
  }
  const closeOpenTools = (force: boolean) => {
    if (open.length === 0) return;
    if (!force && !open.every(isAnswered)) return;
    userContent.unshift(...open.map(toolResultBlock));
    open = [];
  };

  for (const e of events) {
    const p = e.payload;
    switch (e.type) {
      case 'session.status_running': state.status = 'running'; break;
      case 'session.status_rescheduled': state.status = 'rescheduling'; break;
      case 'session.status_terminated': state.status = 'terminated'; break;
      case 'session.status_idle':
        state.status = 'idle';
        state.lastIdleReason = p.stop_reason as SessionState['lastIdleReason'];
        break;
      case 'span.model_request_start': openSpans.set(e.id, e); break;
      case 'span.model_request_end': openSpans.delete(String(p.model_request_start_id)); break;
      case 'agent.tool_use':
      case 'agent.custom_tool_use': {
        const t: ToolUseState = {
          eventId: e.id, toolUseId: '', name: String(p.name), input: p.input,
          kind: e.type === 'agent.custom_tool_use' ? 'custom' : 'builtin',
          permission: (p.evaluated_permission as ToolUseState['permission']) ?? 'allow', started: false,
        };
        tools.set(e.id, t);
        break;
      }
      case MODEL_RESPONSE: {
        const message = p.message as { content: Content; stop_reason?: string };
        const ids = (p.tool_event_ids ?? {}) as Record<string, string>;
        closeOpenTools(true);
        pushAssistant(message.content);
        state.lastStopReason = message.stop_reason;
        open = Object.entries(ids).map(([toolu, sevt]) => {
          const t = tools.get(sevt)!;
          t.toolUseId = toolu;
          return t;
        });
        break;
      }
      case EXTENSION_TYPES.toolExecutionStarted: {
        const t = tools.get(String(p.tool_use_id));
        if (t) t.started = true;
        break;
      }
      case 'agent.tool_result': {
        const t = tools.get(String(p.tool_use_id));
        if (t) t.result = { content: (p.content as unknown[]) ?? [], isError: Boolean(p.is_error) };
        closeOpenTools(false);
        break;
      }
      case 'user.custom_tool_result': {
        const t = tools.get(String(p.custom_tool_use_id));
        if (t) t.result = { content: (p.content as unknown[]) ?? [], isError: Boolean(p.is_error) };
        closeOpenTools(false);
        break;
      }
      case 'user.tool_confirmation': {
        const t = tools.get(String(p.tool_use_id));
        if (t) t.confirmation = { result: p.result as 'allow' | 'deny', denyMessage: p.deny_message as string | null, eventId: e.id };
        if (e.processedAt === null) unprocessedConfirmations.push({ eventId: e.id, toolEventId: String(p.tool_use_id) });
        closeOpenTools(false);
        break;
      }
      case 'user.message':
        if (e.processedAt === null) state.queuedMessages.push(e);
        break;
      case 'user.interrupt':
        if (e.processedAt === null) state.queuedInterrupts.push(e);
        break;
      case USER_EVENTS_PROCESSED: {
        const ids = (p.event_ids as string[]) ?? [];
        for (const id of ids) {
          const u = byId.get(id);
          if (!u) continue;
          state.queuedMessages = state.queuedMessages.filter((q) => q.id !== id);
          state.queuedInterrupts = state.queuedInterrupts.filter((q) => q.id !== id);
          if (u.type === 'user.message') {
            closeOpenTools(true);
            userContent.push(...(u.payload.content as Content));
          } else if (u.type === 'user.interrupt') {
            closeOpenTools(true);
          }
        }
        break;
      }
      default:
        break;
    }
  }
  flushUser();
  state.openSpan = [...openSpans.values()].pop();
  state.pendingTools = open;
  const waitingFor = new Set(state.status === 'idle' && state.lastIdleReason?.type === 'requires_action' ? (state.lastIdleReason.event_ids ?? []) : []);
  for (const c of unprocessedConfirmations) {
    const t = tools.get(c.toolEventId);
    const answers = waitingFor.has(c.toolEventId) && t !== undefined && t.result === undefined && t.confirmation?.eventId === c.eventId;
    (answers ? state.answeringConfirmations : state.staleConfirmations).push(c.eventId);
  }
  const last = state.messages[state.messages.length - 1];
  state.turnEnded = last?.role === 'assistant' && open.length === 0;
  return state;
}

/** Tool uses that wait for the client: custom calls without result, asks without confirmation. */
export function blockingTools(state: SessionState): ToolUseState[] {
  return state.pendingTools.filter((t) => !isAnswered(t) && (t.kind === 'custom' || (t.permission === 'ask' && !t.confirmation)));
}

/** The next tool the server itself should run (or answer), if any. */
export function nextRunnableTool(state: SessionState): ToolUseState | undefined {
  return state.pendingTools.find((t) => !isAnswered(t) && t.kind === 'builtin' && (t.permission !== 'ask' || t.confirmation?.result === 'allow'));
}
