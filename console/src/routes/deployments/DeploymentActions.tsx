/** Pause / Unpause and Run now for one deployment (the list and the deployment page share them). */
import { post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { deploymentsKey, type Deployment, type DeploymentRun } from './deployment-types.ts';

export function DeploymentActions({ deployment: d, onRun }: { deployment: Deployment; onRun?: (run: DeploymentRun) => void }) {
  const toggle = useApiMutation(() => post<Deployment>(`/v1/deployments/${d.id}/${d.status === 'paused' ? 'unpause' : 'pause'}`), [deploymentsKey]);
  const run = useApiMutation(() => post<DeploymentRun>(`/v1/deployments/${d.id}/run`), [deploymentsKey]);
  if (d.archived_at) return <span className="muted small">archived</span>;
  return (
    <div className="actions">
      <button type="button" className="subtle small" disabled={toggle.isPending} aria-label={`${d.status === 'paused' ? 'Unpause' : 'Pause'} ${d.name}`} onClick={() => toggle.mutate(undefined)}>
        {d.status === 'paused' ? 'Unpause' : 'Pause'}
      </button>
      <button type="button" className="small" disabled={run.isPending} aria-label={`Run ${d.name} now`} onClick={() => run.mutate(undefined, { onSuccess: (r) => onRun?.(r) })}>
        Run now
      </button>
      <ErrorNote error={toggle.error ?? run.error} />
    </div>
  );
}
