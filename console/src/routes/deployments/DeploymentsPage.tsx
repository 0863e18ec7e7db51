/** Deployments: an agent that runs on its own, on a cron schedule or on demand. List, create, pause, run now. */
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { get } from '../../api/client.ts';
import type { Page } from '../../api/types.ts';
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
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Deployments</caption>
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Schedule</th>
                <th scope="col">Status</th>
                <th scope="col">Next run</th>
                <th scope="col">Last scheduled run</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/deployments/${d.id}`}>{d.name}</Link>
                    <div className="mono muted small">{d.id}</div>
                  </td>
                  <td>{d.schedule ? <span className="mono">{d.schedule.expression}</span> : 'manual only'}{d.schedule ? <div className="muted small">{d.schedule.timezone}</div> : null}</td>
                  <td>
                    <span className="badge status">{d.status}</span>
                    {d.paused_reason ? <div className="muted small">{pausedWhy(d)}</div> : null}
                  </td>
                  <td>{d.status === 'paused' ? '—' : formatDate(d.schedule?.upcoming_runs_at[0])}</td>
                  <td>{formatDate(d.schedule?.last_run_at)}</td>
                  <td><DeploymentActions deployment={d} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
