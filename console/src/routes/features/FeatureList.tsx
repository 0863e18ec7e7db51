/**
 * A page for a resource that later server versions add (vaults, memory stores): its list when the
 * API is there, and a plain "not available on this server yet" when the API answers 404.
 */
import type { ReactNode } from 'react';
import { useOptionalList } from '../../api/resources.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';

interface Named {
  id: string;
  name?: string;
  display_name?: string;
  description?: string | null;
  created_at?: string;
}

interface Props {
  title: string;
  path: string;
  lede: ReactNode;
  empty: ReactNode;
}

export function FeatureList({ title, path, lede, empty }: Props) {
  const list = useOptionalList<Named>(path);
  return (
    <section className="page">
      <h1>{title}</h1>
      <p className="lede">{lede}</p>
      <ErrorNote error={list.error} />
      {list.isPending ? <p className="muted">Loading…</p> : null}
      {list.data === null ? (
        <EmptyState title="Not available on this server yet">
          <p>
            This server does not offer {title.toLowerCase()} yet (<code>GET {path}</code> answered 404). Update the server to a version that has them.
          </p>
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length === 0 ? <EmptyState title={`No ${title.toLowerCase()} yet`}>{empty}</EmptyState> : null}
      {list.data && list.data.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((item) => (
                <tr key={item.id}>
                  <td>
                    {item.display_name ?? item.name ?? item.id}
                    <div className="mono muted small">{item.id}</div>
                  </td>
                  <td>{item.description ?? ''}</td>
                  <td>{formatDate(item.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
