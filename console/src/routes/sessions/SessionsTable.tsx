/** Sessions with status, agent, created and usage; optionally those of one agent. */
import { Link } from 'react-router';
import { useSessions } from '../../api/resources.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatCents, formatDate, formatTokens } from '../../lib/format.ts';
import { StatusBadge } from './StatusBadge.tsx';

export function SessionsTable({ agentId, empty }: { agentId?: string; empty: string }) {
  const sessions = useSessions(agentId);
  if (sessions.error) return <ErrorNote error={sessions.error} />;
  if (!sessions.data) return <p className="muted">Loading…</p>;
  if (sessions.data.data.length === 0) return <p className="hint">{empty}</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Created</th>
            <th scope="col">Tokens in / out</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {sessions.data.data.map((s) => (
            <tr key={s.id}>
              <td>
                <Link to={`/sessions/${s.id}`}>{s.title || s.id}</Link>
              </td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td>{s.agent?.name ?? '—'}</td>
              <td>{formatDate(s.created_at)}</td>
              <td className="num">
                {formatTokens(s.usage.input_tokens)} / {formatTokens(s.usage.output_tokens)}
              </td>
              <td className="num">{formatCents(s.usage.list_cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
