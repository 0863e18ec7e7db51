/** Sessions with status, agent, created and usage; optionally those of one agent. */
import { Link } from 'react-router';
import { useSessions } from '../../api/resources.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatCents, formatDate, formatTokens } from '../../lib/format.ts';
import { StatusBadge } from './StatusBadge.tsx';

export function SessionsTable({ agentId, empty }: { agentId?: string; empty: string }) {
  const sessions = useSessions(agentId);
  if (sessions.error) return <ErrorNote error={sessions.error} />;
  if (!sessions.data) return <p className="muted">Loading…</p>;
  if (sessions.data.data.length === 0) return <p className="hint">{empty}</p>;
  return (
    <DataTable
      rows={sessions.data.data}
      rowKey={(s) => s.id}
      columns={[
        { header: 'Session', cell: (s) => <Link to={`/sessions/${s.id}`}>{s.title || s.id}</Link> },
        { header: 'Status', cell: (s) => <StatusBadge status={s.status} /> },
        { header: 'Agent', cell: (s) => s.agent?.name ?? '—' },
        { header: 'Created', cell: (s) => formatDate(s.created_at) },
        { header: 'Tokens in / out', className: 'num', cell: (s) => (<>{formatTokens(s.usage.input_tokens)} / {formatTokens(s.usage.output_tokens)}</>) },
        { header: 'Cost', className: 'num', cell: (s) => formatCents(s.usage.list_cost) },
      ]}
    />
  );
}
