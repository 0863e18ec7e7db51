/**
 * Session budgets (reference §2.3, §4.8): a `max_list_cost` in cents, checked before every model
 * request against the list cost the session has consumed (kept in micro-dollars in the usage
 * column, priced per model id: a model card's `prices`, else the built-in list). The stored
 * column distinguishes "never had a budget" (SQL NULL) from "removed" (JSON null), because a
 * budget can be replaced or removed but never added later.
 */
import { InvalidRequestError } from '../errors.ts';
import type { SessionTable } from '../store/schema.ts';
import { parseJson, toJson } from '../store/json.ts';
import type { Budget } from '../api/schemas/sessions.ts';
import { centsToMicros, microsToCents, type PriceLookup } from '../lib/model-prices.ts';

export type { PriceLookup };


export type StoredBudget = { state: 'never' } | { state: 'removed' } | { state: 'active'; budget: Budget };

export function readBudget(row: Pick<SessionTable, 'budget'>): StoredBudget {
  if (row.budget === null || row.budget === undefined) return { state: 'never' };
  const budget = parseJson<Budget | null>(row.budget, 'sessions.budget');
  return budget ? { state: 'active', budget } : { state: 'removed' };
}

/** The session's consumed list cost in micro-dollars. */
export function consumedMicros(row: Pick<SessionTable, 'usage'>): number {
  return Number(parseJson<{ list_cost_micros?: number }>(row.usage, 'sessions.usage').list_cost_micros ?? 0);
}

export function budgetMicros(budget: Budget): number {
  return centsToMicros(budget.max_list_cost.amount);
}

/** The wire's `list_cost` for consumed micro-dollars. */
export function listCost(micros: number): { amount: string; currency: 'USD' } {
  return { amount: microsToCents(micros), currency: 'USD' };
}

function notBudgetable(model: string): InvalidRequestError {
  return new InvalidRequestError(
    `budget: model "${model}" has no list price, so a budget cannot measure it (model_not_budgetable). ` +
      'Give the model card that serves it "prices": {"input_per_mtok": …, "output_per_mtok": …}, or omit the budget.',
    { details: { error_code: 'model_not_budgetable' } },
  );
}

/** The column value for a budget given at create; throws model_not_budgetable for an unpriced model. */
export async function budgetAtCreate(options: { tenantId: string; model: string | undefined; budget: Budget | null | undefined; prices: PriceLookup }): Promise<string | null> {
  const { tenantId, model, budget, prices } = options;
  if (!budget) return null;
  if (model === undefined) throw new InvalidRequestError('budget: a session without an agent has no model to budget; pass "agent" or omit the budget');
  if (!(await prices(tenantId, model))) throw notBudgetable(model);
  return toJson(budget);
}

/**
 * The column value after an update's `budget` (replace or remove), or undefined when nothing
 * changes. Throws budget_create_only, budget_not_raised or model_not_budgetable.
 */
export async function budgetAtUpdate(options: { row: SessionTable; model: string | undefined; budget: Budget | null; prices: PriceLookup }): Promise<string | undefined> {
  const { row, model, budget, prices } = options;
  const stored = readBudget(row);
  if (stored.state !== 'active') {
    if (budget === null) return undefined;
    throw new InvalidRequestError(
      `budget: session ${row.id} was created without a budget${stored.state === 'removed' ? ' (or its budget was removed)' : ''}, and a budget cannot be added later (budget_create_only); create a new session with a budget`,
      { details: { error_code: 'budget_create_only' } },
    );
  }
  if (budget === null) return toJson(null);
  const consumed = consumedMicros(row);
  if (budgetMicros(budget) <= consumed) {
    throw new InvalidRequestError(
      `budget: max_list_cost ${budget.max_list_cost.amount} cents is not above the ${microsToCents(consumed)} cents session ${row.id} has consumed (budget_not_raised); raise it above that, or remove the budget with null`,
      { details: { error_code: 'budget_not_raised' } },
    );
  }
  if (toJson(budget) === toJson(stored.budget)) return undefined;
  if (model !== undefined && !(await prices(row.tenant_id, model))) throw notBudgetable(model);
  return toJson(budget);
}
