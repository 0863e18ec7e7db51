/** New agent and Edit agent: the same form, creating or making a new version. */
import { useNavigate, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { post } from '../../api/client.ts';
import { keys, useAgent } from '../../api/resources.ts';
import type { Agent } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { AgentForm } from './AgentForm.tsx';
import { draftFromAgent, emptyDraft } from './agent-draft.ts';

export function NewAgentPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return (
    <section className="page narrow">
      <h1>New agent</h1>
      <AgentForm
        initial={emptyDraft()}
        submitLabel="Create agent"
        onSubmit={async (body) => {
          const agent = await post<Agent>('/v1/agents', body);
          await queryClient.invalidateQueries({ queryKey: keys.agents });
          navigate(`/agents/${agent.id}`);
        }}
      />
    </section>
  );
}

export function EditAgentPage() {
  const { agentId = '' } = useParams();
  const agent = useAgent(agentId);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  if (agent.error) return <ErrorNote error={agent.error} />;
  if (!agent.data) return <p>Loading…</p>;
  const current = agent.data;
  return (
    <section className="page narrow">
      <h1>Edit {current.name}</h1>
      <p className="lede">Saving makes version {current.version + 1}; sessions already running keep the version they started with.</p>
      <AgentForm
        initial={draftFromAgent(current)}
        keepTools={current.tools}
        submitLabel="Save changes"
        onSubmit={async (body) => {
          await post<Agent>(`/v1/agents/${current.id}`, { ...body, version: current.version });
          await queryClient.invalidateQueries({ queryKey: keys.agents });
          navigate(`/agents/${current.id}`);
        }}
      />
    </section>
  );
}
