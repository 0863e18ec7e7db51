/**
 * Turns a session's events into what the timeline shows: messages, thinking, tool calls joined
 * with their results and confirmations, custom tool calls and their answers, markers (interrupts,
 * errors, recoveries), plus the usage of each model request and the session's current status.
 */
import type { ContentBlock, SessionEvent, SessionStatus, Usage } from '../../api/types.ts';

export type TimelineItem =
  | { kind: 'user'; event: SessionEvent; processedAt: string | null }
  | { kind: 'agent'; event: SessionEvent }
  | { kind: 'thinking'; event: SessionEvent }
  | { kind: 'tool'; use: SessionEvent; result?: SessionEvent; confirmation?: SessionEvent; needsConfirmation: boolean }
  | { kind: 'custom-tool'; use: SessionEvent; answer?: SessionEvent; result?: SessionEvent; awaitingAnswer: boolean }
  | { kind: 'marker'; event: SessionEvent; tone: 'info' | 'warn' | 'error'; label: string; detail?: string };

export interface ModelRequest {
  id: string;
  at: string | null;
  usage: Usage;
  isError: boolean;
}

export interface SessionView {
  items: TimelineItem[];
  requests: ModelRequest[];
  status: SessionStatus | undefined;
}

const STATUS: Record<string, SessionStatus> = {
  'session.status_running': 'running',
  'session.status_idle': 'idle',
  'session.status_rescheduled': 'rescheduling',
  'session.status_terminated': 'terminated',
};

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as ContentBlock[]).map((b) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`)).join('\n');
}

/** Idle states worth a line: the turn stopped for a reason other than finishing or waiting for you. */
function idleMarker(e: SessionEvent): TimelineItem | undefined {
  const reason = (e.stop_reason as { type?: string } | undefined)?.type;
  if (reason === 'budget_reached') return { kind: 'marker', event: e, tone: 'warn', label: 'Budget reached', detail: "raise or remove the session's budget to continue" };
  if (reason === 'retries_exhausted') return { kind: 'marker', event: e, tone: 'error', label: 'Model unavailable', detail: 'the model request failed after its retries; send a message to try again' };
  if (reason === 'refusal') return { kind: 'marker', event: e, tone: 'warn', label: 'The model declined to continue' };
  return undefined;
}

function marker(e: SessionEvent): TimelineItem | undefined {
  switch (e.type) {
    case 'user.interrupt':
      return { kind: 'marker', event: e, tone: 'warn', label: 'Interrupted by the user' };
    case 'session.error': {
      const err = e.error as { message?: string; type?: string; mcp_server_name?: string } | undefined;
      if (err?.mcp_server_name) {
        const what = err.type === 'mcp_authentication_failed_error' ? 'refused our credentials' : 'is unavailable';
        return { kind: 'marker', event: e, tone: 'warn', label: `MCP server ${err.mcp_server_name} ${what}`, detail: err.message };
      }
      return { kind: 'marker', event: e, tone: 'error', label: 'Error', detail: err?.message ?? err?.type };
    }
    case 'session.status_terminated':
      return { kind: 'marker', event: e, tone: 'error', label: 'Session terminated' };
    case 'session.status_rescheduled':
      return { kind: 'marker', event: e, tone: 'warn', label: 'Retrying the model request' };
    case 'session.status_idle':
      return idleMarker(e);
    case 'oma.turn_recovered':
      return { kind: 'marker', event: e, tone: 'info', label: 'Recovered after a restart', detail: String(e.reason ?? '') };
    default:
      return undefined;
  }
}

type CallItem = Extract<TimelineItem, { kind: 'tool' | 'custom-tool' }>;

/** A result, confirmation or answer joins the call it belongs to and settles what the call waits for. */
function attachToCall(tools: Map<string, CallItem>, e: SessionEvent): void {
  if (e.type === 'user.tool_confirmation') {
    const t = tools.get(String(e.tool_use_id));
    if (t?.kind === 'tool') Object.assign(t, { confirmation: e, needsConfirmation: false });
  } else if (e.type === 'user.custom_tool_result') {
    const t = tools.get(String(e.custom_tool_use_id));
    if (t?.kind === 'custom-tool') Object.assign(t, { answer: e, awaitingAnswer: false });
  } else {
    const t = tools.get(String(e.tool_use_id ?? e.mcp_tool_use_id));
    if (t?.kind === 'tool') Object.assign(t, { result: e, needsConfirmation: false });
    else if (t) Object.assign(t, { result: e, awaitingAnswer: false });
  }
}

export function buildView(events: SessionEvent[]): SessionView {
  const items: TimelineItem[] = [];
  const requests: ModelRequest[] = [];
  const tools = new Map<string, CallItem>();
  const users = new Map<string, Extract<TimelineItem, { kind: 'user' }>>();
  let status: SessionStatus | undefined;
  for (const e of events) {
    if (STATUS[e.type]) status = STATUS[e.type];
    switch (e.type) {
      case 'user.message': {
        const item = { kind: 'user' as const, event: e, processedAt: e.processed_at };
        users.set(e.id, item);
        items.push(item);
        break;
      }
      case 'oma.user_event_processed':
        // A message queued behind a running turn is picked up later; the log marks when.
        for (const id of (e.event_ids as string[] | undefined) ?? []) {
          const u = users.get(id);
          if (u) u.processedAt = e.processed_at;
        }
        break;
      case 'agent.message':
        items.push({ kind: 'agent', event: e });
        break;
      case 'agent.thinking':
        items.push({ kind: 'thinking', event: e });
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use': {
        const item = { kind: 'tool' as const, use: e, needsConfirmation: e.evaluated_permission === 'ask' };
        tools.set(e.id, item);
        items.push(item);
        break;
      }
      case 'agent.custom_tool_use': {
        const item = { kind: 'custom-tool' as const, use: e, awaitingAnswer: true };
        tools.set(e.id, item);
        items.push(item);
        break;
      }
      case 'agent.tool_result':
      case 'agent.mcp_tool_result':
      case 'user.tool_confirmation':
      case 'user.custom_tool_result':
        attachToCall(tools, e);
        break;
      case 'span.model_request_end':
        requests.push({ id: e.id, at: e.processed_at, usage: (e.model_usage ?? {}) as Usage, isError: e.is_error === true });
        break;
      default: {
        const m = marker(e);
        if (m) items.push(m);
      }
    }
  }
  return { items, requests, status };
}
