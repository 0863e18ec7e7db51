/**
 * What the session was given (files, repositories, memory stores, with their paths in the sandbox)
 * and what its agent produced (Files scoped to the session, from /mnt/session/outputs), downloadable.
 */
import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { get } from '../../api/client.ts';
import { download, formatBytes } from '../../api/transfer.ts';
import type { Page, SessionResource } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import type { FileMeta } from '../files/FilesPage.tsx';

function describe(r: SessionResource) {
  if (r.type === 'file') return <>File <span className="mono">{r.file_id}</span></>;
  if (r.type === 'memory_store') return <>Memory store <Link to={`/memory/${r.memory_store_id}`}>{r.name ?? r.memory_store_id}</Link>{r.access === 'read_only' ? ' (read-only)' : ''}</>;
  const at = !r.checkout ? '' : r.checkout.type === 'branch' ? ` @ ${r.checkout.name}` : ` @ ${r.checkout.sha.slice(0, 12)}`;
  return <>Repository <span className="mono">{r.url}{at}</span></>;
}

export function ResourcesPanel({ sessionId, resources, turnCount }: { sessionId: string; resources: SessionResource[]; turnCount: number }) {
  // Outputs are collected when a turn ends: look again whenever another turn has ended.
  const outputs = useQuery({ queryKey: ['session-outputs', sessionId, turnCount], queryFn: () => get<Page<FileMeta>>(`/v1/files?scope_id=${encodeURIComponent(sessionId)}&limit=100`) });
  const [error, setError] = useState<unknown>(null);
  const files = outputs.data?.data ?? [];
  async function save(f: FileMeta) {
    setError(null);
    try {
      await download(`/v1/files/${encodeURIComponent(f.id)}/content`, f.filename);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <details className="resources panel" open={resources.length > 0 || files.length > 0}>
      <summary>
        Resources: {resources.length} attached · {files.length} output file{files.length === 1 ? '' : 's'}
      </summary>
      {resources.length > 0 ? (
        <ul className="resource-list" aria-label="Attached resources">
          {resources.map((r, i) => (
            <li key={r.id ?? `${r.type}-${i}`}>
              {describe(r)} <span className="muted">at</span> <span className="mono">{r.mount_path ?? '—'}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint">No resources attached.</p>
      )}
      <ErrorNote error={outputs.error ?? error} />
      {files.length > 0 ? (
        <ul className="resource-list" aria-label="Output files">
          {files.map((f) => (
            <li key={f.id}>
              <span className="mono">{f.filename}</span> <span className="muted">({formatBytes(f.size_bytes)})</span>{' '}
              <button type="button" className="small" onClick={() => void save(f)} aria-label={`Download ${f.filename}`}>
                Download
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}
