/** The agents of this tenant, newest first, with the way to make the first one. */
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useAgents } from '../../api/resources.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';

export function AgentsPage() {
  const [archived, setArchived] = useState(false);
  const agents = useAgents(archived);
  const navigate = useNavigate();
  return (
    <section className="page">
      <div className="page-head">
        <h1>Agents</h1>
        <button type="button" className="primary" onClick={() => navigate('/agents/new')}>
          New agent
        </button>
      </div>
      <p className="lede">An agent is a model, a system prompt and the tools it may use. Each edit makes a new version.</p>
      <label className="check">
        <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} /> Show archived
      </label>
      <ErrorNote error={agents.error} />
      {agents.data?.data.length === 0 ? (
        <EmptyState title="No agents yet">
          <p>Create one with “New agent”: give it a name, a model and the agent toolset, then start a session with it.</p>
        </EmptyState>
      ) : null}
      {agents.data && agents.data.data.length > 0 ? (
        <DataTable
          rows={agents.data.data}
          rowKey={(a) => a.id}
          columns={[
            { header: 'Name', cell: (a) => (<><Link to={`/agents/${a.id}`}>{a.name}</Link>{a.archived_at ? <span className="badge muted">archived</span> : null}</>) },
            { header: 'Model', className: 'mono', cell: (a) => a.model.id },
            { header: 'Version', cell: (a) => `v${a.version}` },
            { header: 'Updated', cell: (a) => formatDate(a.updated_at) },
          ]}
        />
      ) : null}
    </section>
  );
}
