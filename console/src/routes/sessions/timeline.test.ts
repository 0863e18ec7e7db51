import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../api/types.ts';
import { buildView } from './timeline.ts';

let n = 0;
const ev = (type: string, fields: Record<string, unknown> = {}): SessionEvent => ({ id: `sevt_${++n}`, type, processed_at: '2026-12-01T10:00:00Z', ...fields });

describe('buildView', () => {
  it('joins a tool call with its confirmation and result, and stops asking once answered', () => {
    const use = ev('agent.tool_use', { name: 'bash', input: { command: 'ls' }, evaluated_permission: 'ask' });
    const waiting = buildView([ev('user.message', { content: [{ type: 'text', text: 'go' }] }), use, ev('session.status_idle', { stop_reason: { type: 'requires_action', event_ids: [use.id] } })]);
    expect(waiting.items.map((i) => i.kind)).toEqual(['user', 'tool']);
    expect(waiting.items[1]).toMatchObject({ kind: 'tool', needsConfirmation: true });
    expect(waiting.status).toBe('idle');

    const done = buildView([use, ev('user.tool_confirmation', { tool_use_id: use.id, result: 'allow' }), ev('session.status_running'), ev('agent.tool_result', { tool_use_id: use.id, content: [{ type: 'text', text: 'a.txt' }], is_error: false })]);
    expect(done.items).toHaveLength(1);
    expect(done.items[0]).toMatchObject({ kind: 'tool', needsConfirmation: false, confirmation: { result: 'allow' }, result: { is_error: false } });
    expect(done.status).toBe('running');
  });

  it('an MCP call is a tool call: confirmed, joined with its agent.mcp_tool_result; MCP server errors name the server', () => {
    const use = ev('agent.mcp_tool_use', { name: 'lookup_weather', mcp_server_name: 'weather', input: { city: 'Oslo' }, evaluated_permission: 'ask' });
    expect(buildView([use]).items[0]).toMatchObject({ kind: 'tool', needsConfirmation: true });
    const done = buildView([use, ev('user.tool_confirmation', { tool_use_id: use.id, result: 'allow' }), ev('agent.mcp_tool_result', { mcp_tool_use_id: use.id, content: [{ type: 'text', text: 'sunny' }], is_error: false })]);
    expect(done.items).toHaveLength(1);
    expect(done.items[0]).toMatchObject({ kind: 'tool', needsConfirmation: false, result: { mcp_tool_use_id: use.id } });
    const down = buildView([ev('session.error', { error: { type: 'mcp_connection_failed_error', mcp_server_name: 'weather', message: 'could not be reached', retry_status: { type: 'retrying' } } })]);
    expect(down.items[0]).toMatchObject({ kind: 'marker', tone: 'warn', label: 'MCP server weather is unavailable', detail: 'could not be reached' });
    const refused = buildView([ev('session.error', { error: { type: 'mcp_authentication_failed_error', mcp_server_name: 'weather', message: 'no credential' } })]);
    expect(refused.items[0]).toMatchObject({ label: 'MCP server weather refused our credentials' });
  });

  it('a custom tool call waits for an answer until user.custom_tool_result names it', () => {
    const use = ev('agent.custom_tool_use', { name: 'get_weather', input: {} });
    expect(buildView([use]).items[0]).toMatchObject({ awaitingAnswer: true });
    expect(buildView([use, ev('user.custom_tool_result', { custom_tool_use_id: use.id, content: [] })]).items[0]).toMatchObject({ awaitingAnswer: false });
    expect(buildView([use, ev('user.custom_tool_result', { custom_tool_use_id: 'sevt_other', content: [] })]).items[0]).toMatchObject({ awaitingAnswer: true });
  });

  it('marks interrupts, recoveries and budget stops, and collects usage per model request', () => {
    const view = buildView([
      ev('span.model_request_end', { model_usage: { input_tokens: 10, output_tokens: 2 }, is_error: false }),
      ev('user.interrupt'),
      ev('oma.turn_recovered', { reason: 'tool interrupted by a server restart' }),
      ev('session.status_idle', { stop_reason: { type: 'budget_reached' } }),
      ev('session.status_idle', { stop_reason: { type: 'end_turn' } }),
    ]);
    expect(view.items.map((i) => (i.kind === 'marker' ? i.label : i.kind))).toEqual(['Interrupted by the user', 'Recovered after a restart', 'Budget reached']);
    expect(view.requests).toEqual([expect.objectContaining({ usage: { input_tokens: 10, output_tokens: 2 }, isError: false })]);
  });

  it('a queued message shows when the harness picked it up', () => {
    const msg = ev('user.message', { content: [{ type: 'text', text: 'later' }], processed_at: null });
    const view = buildView([msg, ev('oma.user_event_processed', { event_ids: [msg.id], processed_at: '2026-12-01T10:05:00Z' })]);
    expect(view.items[0]).toMatchObject({ kind: 'user', processedAt: '2026-12-01T10:05:00Z' });
  });
});
