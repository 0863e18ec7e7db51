/**
 * One step of a session, chosen from its log alone (DESIGN.md "Advancing a session"):
 * interrupts first, then an orphaned model request left by a crash, then queued input, then the
 * pending tools of the last model response, then the next model request, then the turn's end.
 * Each branch commits what it did before returning, so a crash anywhere re-enters here.
 */
import type { NewEvent } from '../events/types.ts';
import { EXTENSION_TYPES } from '../events/types.ts';
import { blockingTools, nextRunnableTool, USER_EVENTS_PROCESSED, type SessionState } from './session-state.ts';
import { runModelRequest } from './model-step.ts';
import { pauseAtBudget, resumeAfterBudget } from './budget-step.ts';
import { runToolStep } from './tool-step.ts';
import { runMcpToolStep } from './mcp-step.ts';
import { append, zeroUsage, type StepContext, type StepOutcome } from './step-context.ts';

const idle = (ctx: StepContext, stopReason: { type: string; event_ids?: string[] }): NewEvent => ({ type: 'session.status_idle', payload: { stop_reason: stopReason, stop_details: null }, processedAt: ctx.clock.now() });

export async function advance(ctx: StepContext): Promise<StepOutcome> {
  await ctx.held.catchUp();
  const state = ctx.held.view();
  if (state.status === 'terminated' || !ctx.agent) return 'stop';

  if (state.queuedInterrupts.length > 0) return handleInterrupt(ctx, state);
  if (state.staleConfirmations.length > 0) {
    // Confirmations of calls that no longer wait (a deny, or answered meanwhile by an interrupt):
    // mark them consumed, or they would stay queued input forever and every sweep would wake the session.
    const stale = state.staleConfirmations;
    await append(ctx, [{ type: USER_EVENTS_PROCESSED, payload: { event_ids: stale }, processedAt: ctx.clock.now() }], { markProcessed: stale });
    return 'continue';
  }
  if (state.openSpan) {
    // A model request was cut off by a crash: close its span and mark the turn as recovered; the next
    // step issues the request again from the committed history (the partial output was never stored).
    await append(ctx, [
      { type: 'span.model_request_end', payload: { model_request_start_id: state.openSpan.id, is_error: true, model_usage: zeroUsage() }, processedAt: ctx.clock.now() },
      { type: EXTENSION_TYPES.turnRecovered, payload: { reason: 'model request interrupted by a server restart' }, processedAt: ctx.clock.now() },
    ]);
    return 'continue';
  }
  if (state.status === 'idle' || state.status === 'none') return fromIdle(ctx, state);
  if (state.status === 'rescheduling') {
    // A crash or shutdown cut a retry's backoff short, before its status_running was committed:
    // announce the retry before issuing it. The rest of the backoff is not waited for (its length
    // is not in the log); a model still overloaded answers 529 again and the backoff restarts.
    await append(ctx, [{ type: 'session.status_running', payload: {}, processedAt: ctx.clock.now() }], { sessionPatch: { status: 'running' } });
    return 'continue';
  }

  const runnable = nextRunnableTool(state);
  if (runnable) return runnable.kind === 'mcp' ? runMcpToolStep(ctx, runnable) : runToolStep(ctx, runnable);
  const blocking = blockingTools(state);
  if (blocking.length > 0) {
    await append(ctx, [idle(ctx, { type: 'requires_action', event_ids: blocking.map((t) => t.eventId) })], { sessionPatch: { status: 'idle' }, markProcessed: processedConfirmations(state) });
    return 'stop';
  }
  if (state.turnEnded) {
    // Outputs first: a crash before the idle below re-enters here, and collecting again adds nothing.
    await ctx.collectOutputs?.();
    const reason = state.lastStopReason === 'refusal' ? { type: 'refusal' } : { type: 'end_turn' };
    await append(ctx, [idle(ctx, reason)], { sessionPatch: { status: 'idle', turn_id: null } });
    return state.queuedMessages.length > 0 ? 'continue' : 'stop';
  }
  return (await pauseAtBudget(ctx)) ?? runModelRequest(ctx, state);
}

function processedConfirmations(state: SessionState): string[] {
  return state.answeringConfirmations;
}

async function fromIdle(ctx: StepContext, state: SessionState): Promise<StepOutcome> {
  if (state.lastIdleReason?.type === 'budget_reached' && !state.turnEnded) return resumeAfterBudget(ctx);
  if (state.lastIdleReason?.type === 'requires_action' && !state.turnEnded) {
    const blocking = blockingTools(state);
    const previous = state.lastIdleReason.event_ids ?? [];
    if (blocking.length > 0) {
      if (blocking.length === previous.length) return 'stop';
      // Only some of the blocking calls were answered: say which remain.
      await append(ctx, [idle(ctx, { type: 'requires_action', event_ids: blocking.map((t) => t.eventId) })], { markProcessed: processedConfirmations(state) });
      return 'stop';
    }
    await append(ctx, [{ type: 'session.status_running', payload: {}, processedAt: ctx.clock.now() }], { sessionPatch: { status: 'running' }, markProcessed: processedConfirmations(state) });
    return 'continue';
  }
  if (state.queuedMessages.length === 0) return 'stop';
  const ids = state.queuedMessages;
  await append(
    ctx,
    [
      { type: USER_EVENTS_PROCESSED, payload: { event_ids: ids }, processedAt: ctx.clock.now() },
      { type: 'session.status_running', payload: {}, processedAt: ctx.clock.now() },
    ],
    { sessionPatch: { status: 'running', turn_id: ids[0] }, markProcessed: ids },
  );
  return 'continue';
}

async function handleInterrupt(ctx: StepContext, state: SessionState): Promise<StepOutcome> {
  const ids = state.queuedInterrupts;
  const busy = state.status === 'running' || state.status === 'rescheduling' || state.lastIdleReason?.type === 'requires_action';
  // Every tool use gets exactly one result in the log, also when the turn is cut short. A call that
  // had started is one whose step was cut off by a crash (a step the interrupt aborted committed its
  // own result), so it may have run.
  const unanswered = busy ? state.pendingTools.filter((t) => t.kind !== 'custom' && !t.result && t.confirmation?.result !== 'deny') : [];
  const events: NewEvent[] = unanswered.map((t) => {
    const content = [{ type: 'text' as const, text: t.started ? `Tool "${t.name}" was stopped: the user interrupted the turn. It may or may not have completed; check its effects before retrying.` : `This tool call was not run: the user interrupted the turn.` }];
    return t.kind === 'mcp'
      ? { type: 'agent.mcp_tool_result', payload: { mcp_tool_use_id: t.eventId, content, is_error: true }, processedAt: ctx.clock.now() }
      : { type: 'agent.tool_result', payload: { tool_use_id: t.eventId, content, is_error: true }, processedAt: ctx.clock.now() };
  });
  events.push({ type: USER_EVENTS_PROCESSED, payload: { event_ids: ids }, processedAt: ctx.clock.now() });
  if (state.openSpan) {
    events.push({ type: 'span.model_request_end', payload: { model_request_start_id: state.openSpan.id, is_error: null, model_usage: zeroUsage() }, processedAt: ctx.clock.now() });
  }
  if (busy) events.push(idle(ctx, { type: 'end_turn' }));
  // An interrupted turn ends too: its outputs so far become Files (again safe to repeat after a crash).
  if (busy) await ctx.collectOutputs?.();
  await append(ctx, events, { sessionPatch: busy ? { status: 'idle', turn_id: null } : {}, markProcessed: [...ids, ...state.answeringConfirmations, ...state.staleConfirmations] });
  return state.queuedMessages.length > 0 ? 'continue' : 'stop';
}
