/** What the session page sends: user events through POST /v1/sessions/{id}/events. */
import { post } from '../../api/client.ts';

const send = (sessionId: string, events: Record<string, unknown>[]) => post<unknown>(`/v1/sessions/${encodeURIComponent(sessionId)}/events`, { events });

export const sendMessage = (sessionId: string, text: string) => send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text }] }]);
export const sendInterrupt = (sessionId: string) => send(sessionId, [{ type: 'user.interrupt' }]);
export const sendConfirmation = (sessionId: string, toolUseId: string, result: 'allow' | 'deny', denyMessage?: string) =>
  send(sessionId, [{ type: 'user.tool_confirmation', tool_use_id: toolUseId, result, ...(result === 'deny' && denyMessage ? { deny_message: denyMessage } : {}) }]);
export const sendCustomToolResult = (sessionId: string, toolUseId: string, text: string, isError: boolean) =>
  send(sessionId, [{ type: 'user.custom_tool_result', custom_tool_use_id: toolUseId, content: [{ type: 'text', text }], is_error: isError }]);
