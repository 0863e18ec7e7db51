/** All sessions, and "New session" with a chosen agent (and environment). */
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { createSession, keys, useAgents, useEnvironments, useOptionalList } from '../../api/resources.ts';
import type { Vault } from '../vaults/vault-types.ts';
import type { Agent } from '../../api/types.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { SelectField } from '../../components/SelectField.tsx';
import { SessionsTable } from './SessionsTable.tsx';

export function SessionsPage() {
  const agents = useAgents();
  const list = agents.data?.data ?? [];
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
      {list.length > 0 ? <NewSessionForm agents={list} /> : null}
      <ErrorNote error={agents.error} />
      <SessionsTable empty="No sessions yet. Start one above; it opens in the live view." />
    </section>
  );
}

/** Agent, environment and vault for a new session; it opens in the live view. */
function NewSessionForm({ agents }: { agents: Agent[] }) {
  const environments = useEnvironments();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [agentId, setAgentId] = useState('');
  const [environmentId, setEnvironmentId] = useState('');
  const [vaultId, setVaultId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const vaults = (useOptionalList<Vault>('/v1/vaults').data?.data ?? []).filter((v) => !v.archived_at);
  const chosen = agentId || agents[0]?.id || '';

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
    <form className="panel inline-form" onSubmit={start}>
      <SelectField label="Agent" value={chosen} onChange={setAgentId} options={agents.map((a) => ({ value: a.id, label: `${a.name} (v${a.version})` }))} />
      <SelectField
        label="Environment"
        value={environmentId}
        onChange={setEnvironmentId}
        options={[{ value: '', label: 'Default' }, ...(environments.data?.data ?? []).map((env) => ({ value: env.id, label: env.name }))]}
      />
      {vaults.length > 0 ? (
        <SelectField label="Vault" value={vaultId} onChange={setVaultId} options={[{ value: '', label: 'None' }, ...vaults.map((v) => ({ value: v.id, label: v.display_name }))]} />
      ) : null}
      <button type="submit" className="primary">
        New session
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
