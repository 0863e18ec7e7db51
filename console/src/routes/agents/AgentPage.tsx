/** One agent: its configuration, "New session", edit, archive, versions and its sessions. */
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { post } from '../../api/client.ts';
import { createSession, keys, useAgent } from '../../api/resources.ts';
import type { Agent, AgentToolset } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { SessionsTable } from '../sessions/SessionsTable.tsx';
import { VersionsPanel } from './VersionsPanel.tsx';

function toolSummary(agent: Agent): string[] {
  return agent.tools.map((t) => {
    if (t.type === 'custom') return `custom: ${t.name}`;
    if (t.type === 'mcp_toolset') return `MCP: ${t.mcp_server_name}`;
    const toolset = t as AgentToolset;
    const enabled = (toolset.configs ?? []).filter((c) => c.enabled !== false).map((c) => `${c.name} (${c.permission_policy?.type ?? 'default'})`);
    return `agent toolset${enabled.length ? `: ${enabled.join(', ')}` : ''}`;
  });
}

export function AgentPage() {
  const { agentId = '' } = useParams();
  const agent = useAgent(agentId);
  if (agent.error) return <ErrorNote error={agent.error} />;
  if (!agent.data) return <p>Loading…</p>;
  const a = agent.data;
  return (
    <section className="page">
      <AgentHeader agent={a} />
      {a.description ? <p className="lede">{a.description}</p> : null}
      <section className="panel" aria-labelledby="config-heading">
        <h2 id="config-heading">Configuration</h2>
        <dl className="props">
          <dt>System prompt</dt>
          <dd>{a.system ? <pre className="prose-pre">{a.system}</pre> : <span className="muted">none</span>}</dd>
          <dt>Tools</dt>
          <dd>{a.tools.length ? <ul>{toolSummary(a).map((t) => <li key={t}>{t}</li>)}</ul> : <span className="muted">none</span>}</dd>
          <dt>MCP servers</dt>
          <dd>{a.mcp_servers.length ? <ul>{a.mcp_servers.map((s) => <li key={s.name}>{s.name}: <span className="mono">{s.url}</span></li>)}</ul> : <span className="muted">none</span>}</dd>
        </dl>
      </section>
      <VersionsPanel agent={a} />
      <section className="panel" aria-labelledby="agent-sessions-heading">
        <h2 id="agent-sessions-heading">Sessions with this agent</h2>
        <SessionsTable agentId={a.id} empty="No sessions yet. “New session” starts one and opens its live view." />
      </section>
    </section>
  );
}

/** Name, id and version, and the actions: New session, Edit, Archive (confirmed inline). */
function AgentHeader({ agent: a }: { agent: Agent }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [confirmArchive, setConfirmArchive] = useState(false);
  const run = (action: () => Promise<void>) => {
    setError(null);
    action().catch(setError);
  };
  const newSession = async () => {
    const session = await createSession({ agent: a.id });
    await queryClient.invalidateQueries({ queryKey: keys.sessions });
    navigate(`/sessions/${session.id}`);
  };
  const archive = async () => {
    await post(`/v1/agents/${a.id}/archive`);
    setConfirmArchive(false);
    await queryClient.invalidateQueries({ queryKey: keys.agents });
  };
  return (
    <>
      <div className="page-head">
        <div>
          <h1>{a.name}</h1>
          <p className="mono muted">
            {a.id} · v{a.version} · {a.model.id}
            {a.archived_at ? <span className="badge muted">archived</span> : null}
          </p>
        </div>
        {!a.archived_at ? (
          <div className="actions">
            <button type="button" className="primary" onClick={() => run(newSession)}>
              New session
            </button>
            <button type="button" onClick={() => navigate(`/agents/${a.id}/edit`)}>
              Edit
            </button>
            <button type="button" className="danger-outline" onClick={() => setConfirmArchive(true)}>
              Archive
            </button>
          </div>
        ) : null}
      </div>
      {confirmArchive ? (
        <div className="confirm" role="alertdialog" aria-labelledby="archive-q">
          <p id="archive-q">Archive {a.name}? It can no longer be edited or used for new sessions; its sessions and history stay.</p>
          <button type="button" className="danger" onClick={() => run(archive)}>
            Confirm archive
          </button>
          <button type="button" onClick={() => setConfirmArchive(false)}>
            Cancel
          </button>
        </div>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}
