/** sessions row → wire Session. */
import type { SessionTable } from '../store/schema.ts';
import type { Session, SessionStatus } from '../api/schemas/sessions.ts';
import { parseJson } from '../store/json.ts';
import { toIso } from '../lib/time.ts';
import { listCost, readBudget } from './session-budget.ts';

export interface StoredUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  /** List cost consumed, in micro-dollars; absent until a priced model answered (session-budget.ts). */
  list_cost_micros?: number;
}

export const EMPTY_USAGE: StoredUsage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };

export function toSession(row: SessionTable, now = Date.now()): Session {
  const usage = { ...EMPTY_USAGE, ...parseJson<Partial<StoredUsage>>(row.usage, 'sessions.usage') };
  const budget = readBudget(row);
  const end = row.archived_at ?? now;
  return {
    id: row.id,
    type: 'session',
    status: row.status as SessionStatus,
    title: row.title,
    agent: parseJson(row.agent, 'sessions.agent'),
    environment_id: row.environment_id,
    resources: parseJson(row.resources, 'sessions.resources'),
    vault_ids: parseJson(row.vault_ids, 'sessions.vault_ids'),
    metadata: parseJson(row.metadata, 'sessions.metadata'),
    budget: budget.state === 'active' ? budget.budget : null,
    outcome_evaluations: [],
    stats: { active_seconds: Number(row.active_ms) / 1000, duration_seconds: Math.max(0, end - row.created_at) / 1000 },
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      cache_creation: { ephemeral_5m_input_tokens: usage.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 },
      ...(usage.list_cost_micros !== undefined ? { list_cost: listCost(usage.list_cost_micros) } : {}),
    },
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
    archived_at: toIso(row.archived_at),
  };
}
