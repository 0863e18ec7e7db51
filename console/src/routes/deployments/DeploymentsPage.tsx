/** Deployments: an agent that runs on its own, on a cron schedule or on demand. List, create, pause, run now. */
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { get } from '../../api/client.ts';
import type { Page } from '../../api/types.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';
import { DeploymentActions } from './DeploymentActions.tsx';
import { NewDeploymentForm } from './NewDeploymentForm.tsx';
import { deploymentsKey, pausedWhy, type Deployment } from './deployment-types.ts';

export function DeploymentsPage() {
  const deployments = useQuery({ queryKey: deploymentsKey, queryFn: () => get<Page<Deployment>>('/v1/deployments?limit=100'), refetchInterval: 5000 });
  const list = deployments.data?.data ?? [];
  return (
    <section className="page">
      <h1>Deployments</h1>
      <p className="lede">A deployment runs an agent on its own: each run starts a session with the deployment&apos;s environment, vaults and first message — on a cron schedule in your timezone, or when you press Run now.</p>
      <NewDeploymentForm />
      <ErrorNote error={deployments.error} />
      {deployments.data && list.length === 0 ? (
        <EmptyState title="No deployments yet">
          <p>Create one above: pick an agent, write the message each run starts with, and optionally a schedule such as 0 9 * * 1-5.</p>
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <DataTable
          caption="Deployments"
          rows={list}
          rowKey={(d) => d.id}
          columns={[
            { header: 'Deployment', cell: (d) => (<><Link to={`/deployments/${d.id}`}>{d.name}</Link><div className="mono muted small">{d.id}</div></>) },
            { header: 'Schedule', cell: (d) => (<>{d.schedule ? <span className="mono">{d.schedule.expression}</span> : 'manual only'}{d.schedule ? <div className="muted small">{d.schedule.timezone}</div> : null}</>) },
            { header: 'Status', cell: (d) => (<><span className="badge status">{d.status}</span>{d.paused_reason ? <div className="muted small">{pausedWhy(d)}</div> : null}</>) },
            { header: 'Next run', cell: (d) => (d.status === 'paused' ? '—' : formatDate(d.schedule?.upcoming_runs_at[0])) },
            { header: 'Last scheduled run', cell: (d) => formatDate(d.schedule?.last_run_at) },
            { header: 'Actions', hiddenHeader: true, cell: (d) => <DeploymentActions deployment={d} /> },
          ]}
        />
      ) : null}
    </section>
  );
}
