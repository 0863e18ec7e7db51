/** One memory's content and its versions, newest first (who changed it, when, and to what). */
import { useQuery } from '@tanstack/react-query';
import { get } from '../../api/client.ts';
import type { Page } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';
import type { Memory, MemoryVersion } from './memory-types.ts';

function actor(v: MemoryVersion): string {
  const a = v.created_by;
  if (!a) return 'unknown';
  if (a.type === 'session_actor') return `session ${a.session_id}`;
  if (a.type === 'api_actor') return `API key ${a.api_key_id}`;
  return 'a user';
}

export function MemoryView({ storeId, memoryId }: { storeId: string; memoryId: string }) {
  const memory = useQuery({ queryKey: ['memory', storeId, 'memory', memoryId], queryFn: () => get<Memory>(`/v1/memory_stores/${storeId}/memories/${memoryId}?view=full`) });
  const versions = useQuery({
    queryKey: ['memory', storeId, 'versions', memoryId],
    queryFn: () => get<Page<MemoryVersion>>(`/v1/memory_stores/${storeId}/memory_versions?memory_id=${encodeURIComponent(memoryId)}&view=full&limit=20`),
  });
  return (
    <section className="panel" aria-labelledby="memory-heading">
      <h2 id="memory-heading" className="mono">{memory.data?.path ?? memoryId}</h2>
      <ErrorNote error={memory.error ?? versions.error} />
      {memory.data ? <pre aria-label="Memory content">{memory.data.content ?? '(empty)'}</pre> : null}
      {versions.data && versions.data.data.length > 0 ? (
        <details className="versions">
          <summary>{versions.data.data.length} version{versions.data.data.length === 1 ? '' : 's'}</summary>
          <ol className="plain-list">
            {versions.data.data.map((v) => (
              <li key={v.id}>
                <div className="small">
                  <strong>{v.operation}</strong> {formatDate(v.created_at)} by {actor(v)} {v.redacted_at ? <span className="badge">redacted</span> : null}
                </div>
                {v.content !== null ? <pre>{v.content}</pre> : null}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </section>
  );
}
