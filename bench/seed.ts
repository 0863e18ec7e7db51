/**
 * Bulk-loads a migrated database with idle sessions and their (processed) event history (and
 * agents, for a second list) in set-based INSERT … SELECT statements, so a million events take seconds, not minutes. Ids are
 * sequential, like the time-ordered ids the server makes.
 */
import type { RawDriver } from './databases.ts';
import { MESSAGE_PAYLOAD } from './databases.ts';

const TYPES = ['user.message', 'session.status_running', 'agent.message', 'session.status_idle'];

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export interface SeedSize {
  sessions: number;
  /** Agents of tenant `default` (one version each), two created in each millisecond. */
  agents?: number;
  eventsPerSession: number;
  /** One more session, `large.id`, holding `large.events` events and created before all the others (the last in desc order). */
  large?: { id: string; events: number };
}

/** `sessions` idle sessions of tenant `default`, each with `eventsPerSession` events (+ the large one). */
export async function seedSessions(raw: RawDriver, backend: 'sqlite' | 'postgres', size: SeedSize): Promise<void> {
  const { sessions, eventsPerSession, large, agents } = size;
  const now = Date.now();
  const payload = quote(JSON.stringify(MESSAGE_PAYLOAD));
  const usage = quote('{"input_tokens":0,"output_tokens":0,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}');
  const type = `CASE i % 4 ${TYPES.map((t, k) => `WHEN ${k} THEN ${quote(t)}`).join(' ')} END`;
  const sqlite = backend === 'sqlite';
  const series = (count: number) =>
    sqlite ? `(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1}) SELECT i FROM n) AS s` : `generate_series(0, ${count - 1}) AS s(i)`;
  const padded = (prefix: string, expr: string, width: number) =>
    sqlite ? `printf('${prefix}%0${width}d', ${expr})` : `'${prefix}' || lpad((${expr})::text, ${width}, '0')`;
  await raw.exec(`INSERT INTO sessions (id, tenant_id, agent_id, agent_version, agent, environment_id, title, metadata, vault_ids, resources,
      status, last_seq, usage, active_ms, created_at, updated_at, archived_at, turn_id)
    SELECT ${padded('sesn_bench', 'i', 8)}, 'default', NULL, NULL, NULL, 'env_bench', NULL, '{}', '[]', '[]',
      'idle', ${eventsPerSession}, ${usage}, 0, ${now} + i, ${now} + i, NULL, NULL FROM ${series(sessions)}`);
  await raw.exec(`INSERT INTO session_events (session_id, seq, id, tenant_id, type, payload, processed_at, created_at)
    SELECT ${padded('sesn_bench', `i / ${eventsPerSession}`, 8)}, i % ${eventsPerSession} + 1, ${padded('sevt_bench', 'i', 10)}, 'default',
      ${type}, ${payload}, ${now}, ${now} FROM ${series(sessions * eventsPerSession)}`);
  if (large) {
    await raw.exec(`INSERT INTO sessions (id, tenant_id, agent_id, agent_version, agent, environment_id, title, metadata, vault_ids, resources,
        status, last_seq, usage, active_ms, created_at, updated_at, archived_at, turn_id)
      VALUES (${quote(large.id)}, 'default', NULL, NULL, NULL, 'env_bench', NULL, '{}', '[]', '[]', 'idle', ${large.events}, ${usage}, 0, ${now - 1}, ${now - 1}, NULL, NULL)`);
    await raw.exec(`INSERT INTO session_events (session_id, seq, id, tenant_id, type, payload, processed_at, created_at)
      SELECT ${quote(large.id)}, i + 1, ${padded('sevt_large', 'i', 10)}, 'default', ${type}, ${payload}, ${now}, ${now} FROM ${series(large.events)}`);
  }
  if (agents) {
    const config = quote(JSON.stringify({ name: 'bench', model: { id: 'claude-sonnet-4-6', speed: 'standard' }, system: null, description: null, tools: [], mcp_servers: [], skills: [], metadata: {} }));
    await raw.exec(`INSERT INTO agents (id, tenant_id, name, version, created_at, updated_at, archived_at)
      SELECT ${padded('agent_bench', 'i', 8)}, 'default', 'bench', 1, ${now} + i / 2, ${now} + i / 2, NULL FROM ${series(agents)}`);
    await raw.exec(`INSERT INTO agent_versions (agent_id, version, tenant_id, config, created_at)
      SELECT ${padded('agent_bench', 'i', 8)}, 1, 'default', ${config}, ${now} + i / 2 FROM ${series(agents)}`);
  }
  // Postgres: a long-lived database has planner statistics (autovacuum); SQLite never runs ANALYZE by itself.
  if (!sqlite) await raw.exec('ANALYZE');
}
