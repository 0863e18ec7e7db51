/**
 * Session budgets in the harness (reference §4.8). Before each model request the session's
 * consumed list cost is compared with its `max_list_cost`; at or above it, or when the model has
 * no list price, the session pauses: `session.usage` then `session.status_idle{budget_reached}`,
 * in one commit, with the turn left open. Raising or removing the budget wakes the session and
 * the turn resumes where it paused. Each response's cost is added when its usage is.
 */
import type { NewEvent } from '../events/types.ts';
import type { SessionTable } from '../store/schema.ts';
import { costMicros, type ModelPrice, type TokenUsage } from '../lib/model-prices.ts';
import { budgetMicros, consumedMicros, readBudget } from '../sessions/session-budget.ts';
import { toSession, type StoredUsage } from '../sessions/session-mapper.ts';
import { append, type StepContext, type StepOutcome } from './step-context.ts';

const now = () => Date.now();

async function priceOf(ctx: StepContext): Promise<ModelPrice | undefined> {
  return ctx.agent ? ctx.prices?.(ctx.tenantId, ctx.agent.model.id) : undefined;
}

function isOverBudget(session: SessionTable, price: ModelPrice | undefined): boolean {
  const stored = readBudget(session);
  if (stored.state !== 'active') return false;
  return price === undefined || consumedMicros(session) >= budgetMicros(stored.budget);
}

/** Pauses the session when its budget is spent; undefined when the model request may go ahead. */
export async function pauseAtBudget(ctx: StepContext): Promise<StepOutcome | undefined> {
  const session = await ctx.store.sessions.find(ctx.tenantId, ctx.sessionId);
  if (!session || !isOverBudget(session, await priceOf(ctx))) return undefined;
  const view = toSession(session);
  const events: NewEvent[] = [
    { type: 'session.usage', payload: { usage: { ...view.usage, active_seconds: view.stats.active_seconds }, budget: view.budget }, processedAt: now() },
    { type: 'session.status_idle', payload: { stop_reason: { type: 'budget_reached' }, stop_details: null }, processedAt: now() },
  ];
  await append(ctx, events, { sessionPatch: { status: 'idle' } });
  return 'stop';
}

/** From a budget pause: resumes the open turn once the budget allows it, else stays paused. */
export async function resumeAfterBudget(ctx: StepContext): Promise<StepOutcome> {
  const session = await ctx.store.sessions.find(ctx.tenantId, ctx.sessionId);
  if (!session || isOverBudget(session, await priceOf(ctx))) return 'stop';
  await append(ctx, [{ type: 'session.status_running', payload: {}, processedAt: now() }], { sessionPatch: { status: 'running' } });
  return 'continue';
}

/** Adds one response's tokens, and its list cost when the model is priced, to the session's totals. */
export async function addUsage(ctx: StepContext, total: StoredUsage, usage: TokenUsage): Promise<void> {
  total.input_tokens += usage.input_tokens;
  total.output_tokens += usage.output_tokens;
  total.cache_read_input_tokens += usage.cache_read_input_tokens;
  total.cache_creation_input_tokens += usage.cache_creation_input_tokens;
  const price = await priceOf(ctx);
  if (price) total.list_cost_micros = (total.list_cost_micros ?? 0) + costMicros(usage, price);
}
