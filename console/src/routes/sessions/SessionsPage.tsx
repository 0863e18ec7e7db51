/** All sessions, and "New session" with a chosen agent (and environment). */
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { createSession, keys, useAgents, useEnvironments, useOptionalList } from '../../api/resources.ts';
import type { Vault } from '../vaults/vault-types.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { SessionsTable } from './SessionsTable.tsx';

export function SessionsPage() {
  const agents = useAgents();
  const environments = useEnvironments();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [agentId, setAgentId] = useState('');
  const [environmentId, setEnvironmentId] = useState('');
  const [vaultId, setVaultId] = useState('');
  const vaults = (useOptionalList<Vault>('/v1/vaults').data?.data ?? []).filter((v) => !v.archived_at);
  const [error, setError] = useState<unknown>(null);
  const list = agents.data?.data ?? [];
  const chosen = agentId || list[0]?.id || '';

  async function start(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const session = await createSession({ agent: chosen, ...(environmentId ? { environment_id: environmentId } : {}), ...(vaultId ? { vault_ids: [vaultId] } : {}) });
      await queryClient.invalidateQueries({ queryKey: keys.sessions });
      navigate(`/sessions/${session.id}`);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section className="page">
      <div className="page-head">
        <h1>Sessions</h1>
      </div>
      <p className="lede">A session is one conversation with an agent in its own sandbox. Open one to watch it live and steer it.</p>
      {agents.data && list.length === 0 ? (
        <EmptyState title="Start with an agent">
          <p>
            Sessions run an agent. <Link to="/agents/new">Create your first agent</Link>, then start a session from its page.
          </p>
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <form className="panel inline-form" onSubmit={start}>
          <Field label="Agent">
            {(id) => (
              <select id={id} value={chosen} onChange={(e) => setAgentId(e.target.value)}>
                {list.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} (v{a.version})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Environment">
            {(id) => (
              <select id={id} value={environmentId} onChange={(e) => setEnvironmentId(e.target.value)}>
                <option value="">Default</option>
                {(environments.data?.data ?? []).map((env) => (
                  <option key={env.id} value={env.id}>
                    {env.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {vaults.length > 0 ? (
            <Field label="Vault">
              {(id) => (
                <select id={id} value={vaultId} onChange={(e) => setVaultId(e.target.value)}>
                  <option value="">None</option>
                  {vaults.map((v) => (
                    <option key={v.id} value={v.id}>
                      {v.display_name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : null}
          <button type="submit" className="primary">
            New session
          </button>
        </form>
      ) : null}
      <ErrorNote error={error ?? agents.error} />
      <SessionsTable empty="No sessions yet. Start one above; it opens in the live view." />
    </section>
  );
}
