/** Memory stores: files that persist across sessions. List and create; open one to browse it. */
import { useState, type FormEvent } from 'react';
import { DataTable } from '../../components/DataTable.tsx';
import { NameCell } from '../../components/NameCell.tsx';
import { post } from '../../api/client.ts';
import { useApiMutation, useOptionalList } from '../../api/resources.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { NotAvailable } from '../../components/NotAvailable.tsx';
import { formatDate } from '../../lib/format.ts';
import type { MemoryStore } from './memory-types.ts';

export function MemoryPage() {
  const stores = useOptionalList<MemoryStore>('/v1/memory_stores');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useApiMutation(() => post<MemoryStore>('/v1/memory_stores', { name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) }), [['optional', '/v1/memory_stores']]);
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: () => { setName(''); setDescription(''); } });
  }
  const list = (stores.data?.data ?? []).filter((s) => !s.archived_at);
  return (
    <section className="page">
      <h1>Memory</h1>
      <p className="lede">A memory store is a set of files that persists across sessions: agents read and write them, and every change is kept as a version.</p>
      <ErrorNote error={stores.error} />
      {stores.data === null ? <NotAvailable what="memory stores" path="/v1/memory_stores" /> : null}
      {stores.data ? (
        <form className="panel inline-form" onSubmit={submit}>
          <Field label="Name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label="Description">{(id) => <input id={id} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create memory store
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      {stores.data && list.length === 0 ? (
        <EmptyState title="No memory stores yet">
          <p>Create one above and attach it to a session as a resource; the agent then finds its files in the sandbox.</p>
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <DataTable
          caption="Memory stores"
          rows={list}
          rowKey={(s) => s.id}
          columns={[
            { header: 'Name', cell: (s) => <NameCell name={s.name} id={s.id} to={`/memory/${s.id}`} /> },
            { header: 'Description', cell: (s) => s.description },
            { header: 'Created', cell: (s) => formatDate(s.created_at) },
          ]}
        />
      ) : null}
    </section>
  );
}
