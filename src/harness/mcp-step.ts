/**
 * Runs one MCP tool call. An MCP call is a side effect the server cannot undo or inspect, so it is
 * treated like a mutating built-in tool: the "execution started" marker is committed before the
 * request goes out, and a call found started after a crash (or shutdown) is never sent again — the
 * model gets an error result saying it may or may not have completed.
 */
import { EXTENSION_TYPES, type NewEvent } from '../events/types.ts';
import { append, type StepContext, type StepOutcome } from './step-context.ts';
import type { ToolUseState } from './session-state.ts';
import { mcpServersOf } from './request-builder.ts';
import type { ToolResult } from '../tools/tool.ts';

export async function runMcpToolStep(ctx: StepContext, use: ToolUseState): Promise<StepOutcome> {
  const serverName = use.mcpServer ?? '';
  const label = `MCP tool "${use.name}" of server "${serverName}"`;
  const resultEvent = (r: ToolResult): NewEvent => ({ type: 'agent.mcp_tool_result', payload: { mcp_tool_use_id: use.eventId, content: r.content, is_error: r.isError }, processedAt: ctx.clock.now() });
  const server = ctx.agent ? mcpServersOf(ctx.agent).find((s) => s.name === serverName) : undefined;
  if (use.permission === 'deny' || !server || !ctx.mcp) {
    await append(ctx, [resultEvent({ isError: true, content: [{ type: 'text', text: `${label} is not available to this agent.` }] })]);
    return 'continue';
  }
  if (use.started) {
    await append(ctx, [
      resultEvent({ isError: true, content: [{ type: 'text', text: `The server restarted while ${label} was running. It may or may not have completed; check its effects before retrying.` }] }),
      { type: EXTENSION_TYPES.turnRecovered, payload: { reason: 'MCP tool call interrupted by a server restart', tool_use_id: use.eventId, rerun: false }, processedAt: ctx.clock.now() },
    ]);
    return 'continue';
  }
  await append(ctx, [{ type: EXTENSION_TYPES.toolExecutionStarted, payload: { tool_use_id: use.eventId, name: use.name }, processedAt: ctx.clock.now() }]);
  let outcome = await ctx.mcp.call({ tenantId: ctx.tenantId, sessionId: ctx.sessionId }, server, { name: use.name, input: use.input, signal: ctx.signal });
  // Shutdown: no result; after the restart the started marker makes recovery report it (above).
  if (ctx.signal.aborted && ctx.stopping()) return 'stop';
  if (ctx.signal.aborted) outcome = { isError: true, content: [{ type: 'text', text: `${label} was stopped: the user interrupted the turn. It may or may not have completed; check its effects before retrying.` }] };
  await append(ctx, [resultEvent(outcome)]);
  return 'continue';
}
