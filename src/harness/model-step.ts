/**
 * One model request: commit its start span, stream (previews go to the hub only), then commit the
 * response events, the raw assistant message and the end span together. Transient failures are
 * recorded and retried with backoff; client errors and an exhausted budget end the turn.
 */
import { newId } from '../lib/ids.ts';
import { newEvent, type EventPayloadInput, type NewEvent } from '../events/types.ts';
import { ModelAbortedError, ModelError, type ModelStreamEvent } from './model/model-client.ts';
import { collectResponse, type ModelResponse } from './model/collect-response.ts';
import type { ModelTextBlock } from './model/model-content.ts';
import { buildModelRequest, builtinPolicy, customToolNames, type ToolPolicy } from './request-builder.ts';
import { offeredMcpTools, type OfferedMcpTools } from './mcp-tools.ts';
import { MODEL_RESPONSE, type SessionState } from './session-state.ts';
import { append, zeroUsage, type StepContext, type StepOutcome } from './step-context.ts';
import { retryDelayMs, sleep } from './backoff.ts';
import { addUsage } from './budget-step.ts';
import { parseJson, toJson } from '../store/json.ts';
import type { StoredUsage } from '../sessions/session-mapper.ts';


export async function runModelRequest(ctx: StepContext, state: SessionState): Promise<StepOutcome> {
  const agent = ctx.agent!;
  const mcp = await offeredMcpTools(ctx, agent);
  if (mcp.errors.length > 0) await append(ctx, mcp.errors);
  const request = buildModelRequest(agent, state.messages, ctx.tools, mcp.definitions);
  request.scope = { tenantId: ctx.tenantId, sessionId: ctx.sessionId };
  const [start] = await append(ctx, [{ type: 'span.model_request_start', payload: {}, processedAt: ctx.clock.now() }]);
  const previews = livePreviews(ctx);
  const started = ctx.clock.now();
  let response: ModelResponse;
  try {
    response = await collectResponse(ctx.model.stream(request, ctx.signal), previews.observe);
  } catch (err) {
    return handleFailure(ctx, start!.id, err);
  }
  ctx.failures.count = 0;
  const events = responseEvents(ctx, response, previews, mcp);
  const usage = {
    input_tokens: response.usage.inputTokens,
    output_tokens: response.usage.outputTokens,
    cache_creation_input_tokens: response.usage.cacheCreationInputTokens,
    cache_read_input_tokens: response.usage.cacheReadInputTokens,
  };
  events.push({ type: 'span.model_request_end', payload: { model_request_start_id: start!.id, is_error: false, model_usage: { ...usage, speed: 'standard' } }, processedAt: ctx.clock.now() });
  const session = await ctx.store.sessions.find(ctx.tenantId, ctx.sessionId);
  const total: StoredUsage = { ...zeroUsage(), ...parseJson<Partial<StoredUsage>>(session?.usage ?? '{}', 'sessions.usage') };
  await addUsage(ctx, total, usage);
  await append(ctx, events, { sessionPatch: { usage: toJson(total), active_ms: Number(session?.active_ms ?? 0) + (ctx.clock.now() - started) } });
  return 'continue';
}

interface Previews {
  messageId: string;
  thinkingId: string;
  observe: (event: ModelStreamEvent) => void;
}

/** Publishes live previews (event_start / event_delta) under the ids the stored events will carry. */
function livePreviews(ctx: StepContext): Previews {
  const messageId = newId('sevt');
  const thinkingId = newId('sevt');
  let announced = false;
  const publish = (previews: 'agent.message' | 'agent.thinking', data: Record<string, unknown>) => ctx.log.publishEphemeral({ sessionId: ctx.sessionId, previews, data });
  const observe = (event: ModelStreamEvent): void => {
    if (event.type === 'thinking_start') {
      publish('agent.thinking', { type: 'event_start', event: { type: 'agent.thinking', id: thinkingId } });
    } else if (event.type === 'text_delta') {
      if (!announced) {
        announced = true;
        publish('agent.message', { type: 'event_start', event: { type: 'agent.message', id: messageId } });
      }
      publish('agent.message', { type: 'event_delta', event_id: messageId, delta: { type: 'content_delta', index: 0, content: { type: 'text', text: event.text } } });
    }
  };
  return { messageId, thinkingId, observe };
}

/** The stored events of a complete response: thinking, message, tool uses, then the raw response. */
function responseEvents(ctx: StepContext, response: ModelResponse, previews: Previews, mcp: OfferedMcpTools): NewEvent[] {
  const agent = ctx.agent!;
  const events: NewEvent[] = [];
  if (response.content.some((b) => b.type === 'thinking' || b.type === 'redacted_thinking')) events.push({ type: 'agent.thinking', id: previews.thinkingId, payload: {}, processedAt: ctx.clock.now() });
  const text = response.content.filter((b): b is ModelTextBlock => b.type === 'text').map((b) => ({ type: 'text' as const, text: b.text }));
  if (text.length > 0) events.push({ type: 'agent.message', id: previews.messageId, payload: { content: text }, processedAt: ctx.clock.now() });
  const toolEventIds: Record<string, string> = {};
  const custom = customToolNames(agent);
  for (const block of response.content) {
    if (block.type !== 'tool_use') continue;
    const id = newId('sevt');
    toolEventIds[block.id] = id;
    if (custom.has(block.name)) {
      events.push({ id, type: 'agent.custom_tool_use', payload: { name: block.name, input: block.input }, processedAt: ctx.clock.now() });
      continue;
    }
    const mcpTool = mcp.byName.get(block.name);
    if (mcpTool) {
      events.push(newEvent('agent.mcp_tool_use', { name: block.name, mcp_server_name: mcpTool.server, input: block.input, ...evaluate(mcpTool.policy, true) }, ctx.clock.now(), id));
      continue;
    }
    const policy = builtinPolicy(agent, block.name);
    const available = policy?.enabled && ctx.tools.has(block.name);
    const permission = !available ? 'deny' : policy.permission === 'always_allow' ? 'allow' : 'ask';
    const payload: EventPayloadInput<'agent.tool_use'> = { name: block.name, input: block.input, evaluated_permission: permission };
    if (available) payload.evaluation = { type: policy.permission === 'auto' ? 'auto' : policy.permission, ...(policy.permission === 'auto' ? { evaluated_permission: { type: 'ask', reason_code: 'indeterminate' } } : {}) };
    events.push(newEvent('agent.tool_use', payload, ctx.clock.now(), id));
  }
  events.push({ type: MODEL_RESPONSE, payload: { message: { id: response.id, content: response.content, stop_reason: response.stopReason }, tool_event_ids: toolEventIds }, processedAt: ctx.clock.now() });
  return events;
}

/** evaluated_permission and evaluation of a call under `policy` (`auto` is judged `ask`: no classifier here). */
function evaluate(policy: ToolPolicy | undefined, available: boolean): Pick<EventPayloadInput<'agent.tool_use'>, 'evaluated_permission' | 'evaluation'> {
  if (!available || !policy?.enabled) return { evaluated_permission: 'deny' };
  return {
    evaluated_permission: policy.permission === 'always_allow' ? 'allow' : 'ask',
    evaluation: { type: policy.permission, ...(policy.permission === 'auto' ? { evaluated_permission: { type: 'ask', reason_code: 'indeterminate' } } : {}) },
  };
}

const ERROR_TYPES: Record<string, string> = {
  rate_limited: 'model_rate_limited_error',
  overloaded: 'model_overloaded_error',
  server: 'model_request_failed_error',
  connection: 'model_request_failed_error',
  client: 'model_request_failed_error',
};

async function handleFailure(ctx: StepContext, startId: string, err: unknown): Promise<StepOutcome> {
  const end: NewEvent = { type: 'span.model_request_end', payload: { model_request_start_id: startId, is_error: !(err instanceof ModelAbortedError), model_usage: zeroUsage() }, processedAt: ctx.clock.now() };
  if (err instanceof ModelAbortedError || ctx.signal.aborted) {
    await append(ctx, [end]);
    return 'continue';
  }
  // The port throws only ModelError (or ModelAbortedError): anything else is a bug, a step failure
  // the harness records and bounds (step-failures.ts), not a model failure to retry forever.
  if (!(err instanceof ModelError)) throw err;
  const modelError = err;
  ctx.logger.warn({ sessionId: ctx.sessionId, kind: modelError.kind, status: modelError.status }, `model request failed: ${modelError.message}`);
  const errorEvent = (retryStatus: string): NewEvent => ({
    type: 'session.error',
    payload: { error: { type: ERROR_TYPES[modelError.kind] ?? 'unknown_error', message: modelError.message, retry_status: { type: retryStatus } } },
    processedAt: ctx.clock.now(),
  });
  ctx.failures.count++;
  if (!modelError.isRetryable || ctx.failures.count > ctx.retry.maxRetries) {
    ctx.failures.count = 0;
    await append(ctx, [end, errorEvent('exhausted'), { type: 'session.status_idle', payload: { stop_reason: { type: 'retries_exhausted' }, stop_details: null }, processedAt: ctx.clock.now() }], { sessionPatch: { status: 'idle', turn_id: null } });
    return 'continue';
  }
  await append(ctx, [end, errorEvent('retrying'), { type: 'session.status_rescheduled', payload: {}, processedAt: ctx.clock.now() }], { sessionPatch: { status: 'rescheduling' } });
  await sleep(retryDelayMs(ctx.failures.count - 1, ctx.retry.baseMs, modelError.retryAfterMs), ctx.signal);
  if (!ctx.signal.aborted) await append(ctx, [{ type: 'session.status_running', payload: {}, processedAt: ctx.clock.now() }], { sessionPatch: { status: 'running' } });
  return 'continue';
}
