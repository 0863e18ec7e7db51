/**
 * One memory store: browse it folder by folder (path_prefix + depth 1), open a memory to read it and
 * see its versions, and write a new memory.
 */
import { useState, type FormEvent } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { get, post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { formatDate } from '../../lib/format.ts';
import { MemoryView } from './MemoryView.tsx';
import type { Memory, MemoryPrefix, MemoryStore } from './memory-types.ts';

export function MemoryStorePage() {
  const { storeId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const prefix = params.get('prefix') ?? '/';
  const open = params.get('memory');
  const store = useQuery({ queryKey: ['memory', storeId], queryFn: () => get<MemoryStore>(`/v1/memory_stores/${storeId}`) });
  const listKey = ['memory', storeId, 'list', prefix] as const;
  const list = useQuery({
    queryKey: listKey,
    queryFn: () => get<Page<Memory | MemoryPrefix>>(`/v1/memory_stores/${storeId}/memories?path_prefix=${encodeURIComponent(prefix)}&depth=1&limit=100`),
  });
  const go = (next: Record<string, string>) => setParams(next);
  if (store.error) return <ErrorNote error={store.error} />;
  return (
    <section className="page">
      <h1>{store.data?.name ?? 'Memory store'}</h1>
      <p className="muted">{store.data?.description}</p>
      <FolderCrumbs prefix={prefix} go={go} />
      <ErrorNote error={list.error} />
      {list.data?.data.length === 0 ? <p className="hint">Nothing in {prefix} yet. Write a memory below, or let an agent write one.</p> : null}
      {list.data && list.data.data.length > 0 ? (
        <ul className="file-list" aria-label={`Contents of ${prefix}`}>
          {list.data.data.map((item) => (
            <li key={item.path}>
              {item.type === 'memory_prefix' ? (
                <button type="button" className="link" onClick={() => go({ prefix: item.path })}>
                  {item.path.slice(prefix.length)}
                </button>
              ) : (
                <>
                  <button type="button" className="link" aria-current={open === item.id ? 'true' : undefined} onClick={() => go({ prefix, memory: item.id })}>
                    {item.path.slice(prefix.length)}
                  </button>
                  <span className="muted small"> {item.content_size_bytes} bytes · {formatDate(item.updated_at)}</span>
                </>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {open ? <MemoryView storeId={storeId} memoryId={open} /> : null}
      <NewMemoryForm storeId={storeId} prefix={prefix} listKey={listKey} />
    </section>
  );
}

function FolderCrumbs({ prefix, go }: { prefix: string; go: (next: Record<string, string>) => void }) {
  const parts = prefix.split('/').filter(Boolean);
  return (
    <nav aria-label="Folder" className="crumbs">
      <button type="button" className="link" onClick={() => go({})}>
        /
      </button>
      {parts.map((p, i) => (
        <span key={i}>
          {' '}
          <button type="button" className="link" onClick={() => go({ prefix: `/${parts.slice(0, i + 1).join('/')}/` })}>
            {p}
          </button>{' '}
          /
        </span>
      ))}
    </nav>
  );
}

function NewMemoryForm({ storeId, prefix, listKey }: { storeId: string; prefix: string; listKey: readonly unknown[] }) {
  const [path, setPath] = useState('');
  const [content, setContent] = useState('');
  const create = useApiMutation(() => post<Memory>(`/v1/memory_stores/${storeId}/memories`, { path: path.startsWith('/') ? path : `${prefix}${path}`, content }), [listKey]);
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: () => { setPath(''); setContent(''); } });
  }
  return (
    <form className="panel stack" onSubmit={submit}>
      <h2>Write a memory</h2>
      <Field label="Path" hint={`Relative to ${prefix}, or absolute (starting with /).`}>{(id) => <input id={id} required value={path} placeholder="notes/todo.md" onChange={(e) => setPath(e.target.value)} />}</Field>
      <Field label="Content">{(id) => <textarea id={id} rows={5} value={content} onChange={(e) => setContent(e.target.value)} />}</Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Save memory
        </button>
      </div>
      <ErrorNote error={create.error} />
    </form>
  );
}
