/**
 * Session state as a fold over the log: one reducer per event type, dispatched by a switch whose
 * `never` default makes the compiler name this file when a type joins the catalogue. The state is
 * mutated in place and owned by whoever folds (the harness, for a session it holds); views handed
 * out (session-state.ts) are copies. Folding a log from scratch and folding it commit by commit
 * (`foldEvent`, then `markProcessed` for the queued input that commit consumed) give equal states:
 * processed_at is the only stored field that changes after its row was written, and it only ever
 * changes from null, in the same commit as the events that consumed the input.
 */
import type { EventPayload, LogEvent, LogEventOf } from '../events/types.ts';
import type { ModelInputBlock, ModelMessage, ModelToolResultBlock } from './model/model-content.ts';

export interface ToolUseState {
  /** The agent.tool_use / agent.custom_tool_use event id (sevt_…). */
  eventId: string;
  /** The model's tool_use id (toolu_…). */
  toolUseId: string;
  name: string;
  input: unknown;
  kind: 'builtin' | 'custom' | 'mcp';
  /** For kind 'mcp': the agent's mcp_servers[].name the tool belongs to. */
  mcpServer?: string;
  permission: 'allow' | 'ask' | 'deny';
  confirmation?: { result: 'allow' | 'deny'; denyMessage?: string | null; eventId: string };
  result?: { content: unknown[]; isError: boolean };
  started: boolean;
}

export type SessionStatus = 'idle' | 'running' | 'rescheduling' | 'terminated' | 'none';

export interface FoldState {
  /** Seq of the last folded event (0: none). */
  lastSeq: number;
  status: SessionStatus;
  lastIdleReason?: { type: string; event_ids?: string[] };
  /** Unprocessed user.message / user.interrupt ids, in log order. */
  queuedMessages: string[];
  queuedInterrupts: string[];
  /** Content of user messages not yet consumed by an `oma.user_event_processed`. */
  pendingMessageContent: Record<string, ModelInputBlock[]>;
  /** Interrupts not yet consumed by an `oma.user_event_processed`. */
  pendingInterrupts: string[];
  unprocessedConfirmations: { eventId: string; toolEventId: string }[];
  tools: Record<string, ToolUseState>;
  /** Event ids of the latest response's tool uses while some are unanswered. */
  openTools: string[];
  /** User-side content (tool results, consumed messages) not yet in `messages`. */
  userContent: ModelInputBlock[];
  messages: ModelMessage[];
  /** Start spans without an end, in log order. */
  openSpans: string[];
  lastStopReason?: string;
}

export function initialFoldState(): FoldState {
  return {
    lastSeq: 0, status: 'none', queuedMessages: [], queuedInterrupts: [], pendingMessageContent: {}, pendingInterrupts: [],
    unprocessedConfirmations: [], tools: {}, openTools: [], userContent: [], messages: [], openSpans: [],
  };
}

export const isAnswered = (t: ToolUseState): boolean => t.result !== undefined || t.confirmation?.result === 'deny';

export function toolResultBlock(t: ToolUseState): ModelToolResultBlock {
  if (t.result) return { type: 'tool_result', tool_use_id: t.toolUseId, content: t.result.content as ModelToolResultBlock['content'], is_error: t.result.isError };
  if (t.confirmation?.result === 'deny') {
    const text = `The user denied this tool call.${t.confirmation.denyMessage ? ` Their message: ${t.confirmation.denyMessage}` : ''}`;
    return { type: 'tool_result', tool_use_id: t.toolUseId, content: [{ type: 'text', text }], is_error: true };
  }
  return { type: 'tool_result', tool_use_id: t.toolUseId, content: [{ type: 'text', text: 'This tool call was not run: the turn was interrupted before it completed.' }], is_error: true };
}

/** Moves pending user content into the history (a copy of the last user message, never mutated). */
export function flushUserContent(messages: ModelMessage[], userContent: ModelInputBlock[]): void {
  if (userContent.length === 0) return;
  const last = messages.at(-1);
  if (last?.role === 'user') messages[messages.length - 1] = { role: 'user', content: [...last.content, ...userContent] };
  else messages.push({ role: 'user', content: [...userContent] });
}

/** Answers the open tool uses into the user content: always when forced, else once all are answered. */
function closeOpenTools(state: FoldState, force: boolean): void {
  if (state.openTools.length === 0) return;
  const open = state.openTools.map((id) => state.tools[id]!);
  if (!force && !open.every(isAnswered)) return;
  state.userContent = [...open.map(toolResultBlock), ...state.userContent];
  state.openTools = [];
}

const without = (list: string[], id: string): string[] => list.filter((entry) => entry !== id);

function onIdle(state: FoldState, event: LogEventOf<'session.status_idle'>): void {
  state.status = 'idle';
  state.lastIdleReason = event.payload.stop_reason;
}

function onToolUse(state: FoldState, event: LogEventOf<'agent.tool_use'> | LogEventOf<'agent.custom_tool_use'> | LogEventOf<'agent.mcp_tool_use'>): void {
  if (event.type === 'agent.mcp_tool_use') {
    state.tools[event.id] = {
      eventId: event.id, toolUseId: '', name: event.payload.name, input: event.payload.input,
      kind: 'mcp', mcpServer: event.payload.mcp_server_name, permission: event.payload.evaluated_permission ?? 'ask', started: false,
    };
    return;
  }
  const permission = event.type === 'agent.tool_use' ? (event.payload.evaluated_permission ?? 'allow') : 'allow';
  state.tools[event.id] = {
    eventId: event.id, toolUseId: '', name: event.payload.name, input: event.payload.input,
    kind: event.type === 'agent.custom_tool_use' ? 'custom' : 'builtin', permission, started: false,
  };
}

function onModelResponse(state: FoldState, event: LogEventOf<'oma.model_response'>): void {
  const { message, tool_event_ids: ids = {} } = event.payload;
  closeOpenTools(state, true);
  flushUserContent(state.messages, state.userContent);
  state.userContent = [];
  state.messages.push({ role: 'assistant', content: message.content });
  state.lastStopReason = message.stop_reason ?? undefined;
  state.openTools = Object.entries(ids).flatMap(([toolUseId, eventId]) => {
    const tool = state.tools[eventId];
    if (!tool) return [];
    tool.toolUseId = toolUseId;
    return [eventId];
  });
}

function onToolResult(state: FoldState, toolEventId: string, payload: EventPayload<'agent.tool_result'> | EventPayload<'user.custom_tool_result'> | EventPayload<'agent.mcp_tool_result'>): void {
  const tool = state.tools[toolEventId];
  if (tool) tool.result = { content: payload.content ?? [], isError: Boolean(payload.is_error) };
  closeOpenTools(state, false);
}

function onConfirmation(state: FoldState, event: LogEventOf<'user.tool_confirmation'>): void {
  const { tool_use_id: toolEventId, result, deny_message: denyMessage } = event.payload;
  const tool = state.tools[toolEventId];
  if (tool) tool.confirmation = { result, denyMessage, eventId: event.id };
  if (event.processedAt === null) state.unprocessedConfirmations.push({ eventId: event.id, toolEventId });
  closeOpenTools(state, false);
}

function onUserMessage(state: FoldState, event: LogEventOf<'user.message'>): void {
  // A redacted block stands for content the API removed; there is nothing to send to a model.
  state.pendingMessageContent[event.id] = event.payload.content.filter((block): block is Exclude<typeof block, { type: 'redacted' }> => block.type !== 'redacted');
  if (event.processedAt === null) state.queuedMessages.push(event.id);
}

function onUserInterrupt(state: FoldState, event: LogEventOf<'user.interrupt'>): void {
  state.pendingInterrupts.push(event.id);
  if (event.processedAt === null) state.queuedInterrupts.push(event.id);
}

function onUserEventsProcessed(state: FoldState, event: LogEventOf<'oma.user_event_processed'>): void {
  for (const id of event.payload.event_ids) {
    state.queuedMessages = without(state.queuedMessages, id);
    state.queuedInterrupts = without(state.queuedInterrupts, id);
    const content = state.pendingMessageContent[id];
    if (content) {
      closeOpenTools(state, true);
      state.userContent = [...state.userContent, ...content];
      delete state.pendingMessageContent[id];
    } else if (state.pendingInterrupts.includes(id)) {
      closeOpenTools(state, true);
      state.pendingInterrupts = without(state.pendingInterrupts, id);
    }
  }
}

function onSpanEnd(state: FoldState, event: LogEventOf<'span.model_request_end'>): void {
  state.openSpans = without(state.openSpans, event.payload.model_request_start_id);
}

function onExecutionStarted(state: FoldState, event: LogEventOf<'oma.tool_execution_started'>): void {
  const tool = state.tools[event.payload.tool_use_id];
  if (tool) tool.started = true;
}

/** Folds one event (the next in seq order) into `state`. */
export function foldEvent(state: FoldState, event: LogEvent): void {
  state.lastSeq = event.seq;
  switch (event.type) {
    case 'session.status_running': state.status = 'running'; return;
    case 'session.status_rescheduled': state.status = 'rescheduling'; return;
    case 'session.status_terminated': state.status = 'terminated'; return;
    case 'session.status_idle': return onIdle(state, event);
    case 'span.model_request_start': state.openSpans.push(event.id); return;
    case 'span.model_request_end': return onSpanEnd(state, event);
    case 'agent.tool_use':
    case 'agent.custom_tool_use':
    case 'agent.mcp_tool_use': return onToolUse(state, event);
    case 'oma.model_response': return onModelResponse(state, event);
    case 'oma.tool_execution_started': return onExecutionStarted(state, event);
    case 'agent.tool_result': return onToolResult(state, event.payload.tool_use_id, event.payload);
    case 'agent.mcp_tool_result': return onToolResult(state, event.payload.mcp_tool_use_id, event.payload);
    case 'user.custom_tool_result': return onToolResult(state, event.payload.custom_tool_use_id, event.payload);
    case 'user.tool_confirmation': return onConfirmation(state, event);
    case 'user.message': return onUserMessage(state, event);
    case 'user.interrupt': return onUserInterrupt(state, event);
    case 'oma.user_event_processed': return onUserEventsProcessed(state, event);
    // Views for clients and diagnostics: nothing the next step depends on.
    case 'agent.message':
    case 'agent.thinking':
    case 'session.error':
    case 'session.updated':
    case 'session.usage':
    case 'oma.turn_recovered':
    case 'oma.step_failed':
      return;
    default: {
      const unhandled: never = event;
      throw new Error(`no reducer for event type ${(unhandled as LogEvent).type}`);
    }
  }
}

/** Applies a commit's processed_at marks: the listed queued user events are no longer queued. */
export function markProcessed(state: FoldState, ids: readonly string[]): void {
  if (ids.length === 0) return;
  const marked = new Set(ids);
  state.queuedMessages = state.queuedMessages.filter((id) => !marked.has(id));
  state.queuedInterrupts = state.queuedInterrupts.filter((id) => !marked.has(id));
  state.unprocessedConfirmations = state.unprocessedConfirmations.filter((c) => !marked.has(c.eventId));
}

/** Folds a whole log from scratch. */
export function foldLog(events: Iterable<LogEvent>): FoldState {
  const state = initialFoldState();
  for (const event of events) foldEvent(state, event);
  return state;
}
