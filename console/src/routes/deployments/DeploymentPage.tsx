/** One deployment: what each run does, its schedule, its runs with links to their sessions; pause, run now, archive. */
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';
import { DeploymentActions } from './DeploymentActions.tsx';
import { deploymentsKey, pausedWhy, runsKey, type Deployment, type DeploymentRun } from './deployment-types.ts';

export function DeploymentPage() {
  const { deploymentId = '' } = useParams();
  const queryClient = useQueryClient();
  const deployment = useQuery({ queryKey: [...deploymentsKey, deploymentId], queryFn: () => get<Deployment>(`/v1/deployments/${deploymentId}`), refetchInterval: 5000 });
  const runs = useQuery({ queryKey: runsKey(deploymentId), queryFn: () => get<Page<DeploymentRun>>(`/v1/deployment_runs?deployment_id=${encodeURIComponent(deploymentId)}&limit=100`), refetchInterval: 5000 });
  const archive = useApiMutation(() => post<Deployment>(`/v1/deployments/${deploymentId}/archive`), [deploymentsKey]);
  if (deployment.error) return <ErrorNote error={deployment.error} />;
  const d = deployment.data;
  const message = d?.initial_events[0]?.content?.map((c) => c.text ?? '').join('') ?? '';
  return (
    <section className="page">
      <h1>{d?.name ?? 'Deployment'} {d ? <span className="badge status">{d.archived_at ? 'archived' : d.status}</span> : null}</h1>
      <p className="mono muted">{deploymentId}</p>
      {d ? (
        <div className="panel stack">
          <dl className="props">
            <dt>Agent</dt>
            <dd><Link to={`/agents/${d.agent.id}`}>{d.agent.id}</Link> (version {d.agent.version})</dd>
            <dt>Environment</dt>
            <dd className="mono">{d.environment_id}</dd>
            <dt>First message</dt>
            <dd>{message}</dd>
            <dt>Schedule</dt>
            <dd>{d.schedule ? <><span className="mono">{d.schedule.expression}</span> ({d.schedule.timezone})</> : 'manual only'}</dd>
            {d.paused_reason ? <><dt>Paused</dt><dd>{pausedWhy(d)}</dd></> : null}
            {d.schedule && !d.archived_at ? <><dt>Upcoming</dt><dd>{d.schedule.upcoming_runs_at.map(formatDate).join(' · ')}</dd></> : null}
          </dl>
          <div className="actions">
            <DeploymentActions deployment={d} onRun={() => void queryClient.invalidateQueries({ queryKey: runsKey(deploymentId) })} />
            {!d.archived_at ? (
              <button type="button" className="subtle small" onClick={() => archive.mutate(undefined)} aria-label={`Archive ${d.name}`}>
                Archive
              </button>
            ) : null}
          </div>
          <ErrorNote error={archive.error} />
        </div>
      ) : null}
      <h2>Runs</h2>
      <ErrorNote error={runs.error} />
      {runs.data && runs.data.data.length === 0 ? <p className="hint">No runs yet. Press Run now, or wait for the schedule.</p> : null}
      {runs.data && runs.data.data.length > 0 ? (
        <DataTable
          caption="Runs"
          rows={runs.data.data}
          rowKey={(r) => r.id}
          columns={[
            { header: 'Started', cell: (r) => (<>{formatDate(r.created_at)}<div className="mono muted small">{r.id}</div></>) },
            { header: 'Trigger', cell: (r) => (r.trigger_context.type === 'schedule' ? `schedule (${formatDate(r.trigger_context.scheduled_at)})` : 'run now') },
            {
              header: 'Outcome',
              cell: (r) => (
                <>
                  {r.session_id ? <Link to={`/sessions/${r.session_id}`}>Session {r.session_id}</Link> : null}
                  {r.error ? <span className="danger-text">Failed: {r.error.message} ({r.error.type})</span> : null}
                </>
              ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}
