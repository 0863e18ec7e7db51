/**
 * Runs one built-in tool call. The "execution started" marker is committed before the side effect
 * so a crash afterwards is visible: recovery re-runs read-only tools and reports mutating ones as
 * possibly done instead of repeating them (at-most-once for side effects, at-least-once for reads).
 */
import { EXTENSION_TYPES, type NewEvent } from '../events/types.ts';
import { append, type StepContext, type StepOutcome } from './step-context.ts';
import type { ToolUseState } from './session-state.ts';
import { builtinPolicy } from './request-builder.ts';
import type { ToolResult } from '../tools/tool.ts';


export async function runToolStep(ctx: StepContext, use: ToolUseState): Promise<StepOutcome> {
  const tool = ctx.tools.get(use.name);
  const resultEvent = (r: ToolResult): NewEvent => ({ type: 'agent.tool_result', payload: { tool_use_id: use.eventId, content: r.content, is_error: r.isError }, processedAt: ctx.clock.now() });
  const result = (r: ToolResult) => append(ctx, [resultEvent(r)]);
  if (use.permission === 'deny' || !tool) {
    await result({ isError: true, content: [{ type: 'text', text: `Tool "${use.name}" is not available to this agent.` }] });
    return 'continue';
  }
  if (use.started) {
    if (tool.mutating) {
      // A crash cut the tool off after it ran (or while): its memory changes are committed first.
      const notices = (await ctx.syncMemory?.()) ?? [];
      // One commit, so the result never exists without the marker that shows the turn was recovered.
      await append(ctx, [
        resultEvent({
          isError: true,
          content: [{ type: 'text', text: `The server restarted while "${use.name}" was running. It may or may not have completed; check its effects before retrying.` }, ...noticeBlocks(notices)],
        }),
        { type: EXTENSION_TYPES.turnRecovered, payload: { reason: 'tool interrupted by a server restart', tool_use_id: use.eventId, rerun: false }, processedAt: ctx.clock.now() },
      ]);
      return 'continue';
    }
    await append(ctx, [{ type: EXTENSION_TYPES.turnRecovered, payload: { reason: 'read-only tool re-run after a server restart', tool_use_id: use.eventId, rerun: true }, processedAt: ctx.clock.now() }]);
  } else {
    await append(ctx, [{ type: EXTENSION_TYPES.toolExecutionStarted, payload: { tool_use_id: use.eventId, name: use.name }, processedAt: ctx.clock.now() }]);
  }
  let outcome: ToolResult;
  try {
    const sandbox = await ctx.sandbox();
    outcome = await tool.run(use.input, { sandbox, sessionId: ctx.sessionId, signal: ctx.signal, config: ctx.agent ? builtinPolicy(ctx.agent, use.name)?.config : undefined });
  } catch (err) {
    outcome = { isError: true, content: [{ type: 'text', text: `Tool "${use.name}" failed: ${(err as Error).message}` }] };
  }
  // Shutdown (SIGTERM) stopped the tool: commit no result. The "execution started" marker is the
  // checkpoint, so after the restart recovery re-runs a read-only tool and reports a mutating one
  // as possibly done, exactly as after a crash, instead of blaming a user interrupt.
  if (ctx.signal.aborted && ctx.stopping()) return 'stop';
  if (ctx.signal.aborted) outcome = { isError: true, content: [{ type: 'text', text: `Tool "${use.name}" was stopped: the user interrupted the turn.` }] };
  // Memory versions before the result: a crash in between leaves a started tool without result,
  // and recovery syncs again (idempotent) before committing its own.
  if (tool.mutating) outcome = { ...outcome, content: [...outcome.content, ...noticeBlocks((await ctx.syncMemory?.()) ?? [])] };
  await result(outcome);
  return 'continue';
}

function noticeBlocks(notices: string[]): { type: 'text'; text: string }[] {
  return notices.length > 0 ? [{ type: 'text', text: `Memory: ${notices.join('\n')}` }] : [];
}
