/** Vaults: named sets of credentials that sessions use without seeing them. List, create. */
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
import type { Vault } from './vault-types.ts';

export function VaultsPage() {
  const vaults = useOptionalList<Vault>('/v1/vaults');
  const [name, setName] = useState('');
  const create = useApiMutation(() => post<Vault>('/v1/vaults', { display_name: name.trim() }), [['optional', '/v1/vaults']]);
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: () => setName('') });
  }
  const list = (vaults.data?.data ?? []).filter((v) => !v.archived_at);
  return (
    <section className="page">
      <h1>Vaults</h1>
      <p className="lede">A vault holds credentials (MCP tokens, environment secrets) that a session uses without ever seeing them. A saved secret is never shown again.</p>
      <ErrorNote error={vaults.error} />
      {vaults.data === null ? <NotAvailable what="vaults" path="/v1/vaults" /> : null}
      {vaults.data ? (
        <form className="panel inline-form" onSubmit={submit}>
          <Field label="Name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <button type="submit" className="primary" disabled={create.isPending}>
            Create vault
          </button>
          <ErrorNote error={create.error} />
        </form>
      ) : null}
      {vaults.data && list.length === 0 ? (
        <EmptyState title="No vaults yet">
          <p>Create one above, add credentials to it, then pick it when you start a session (or pass its id as vault_ids).</p>
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <DataTable
          caption="Vaults"
          rows={list}
          rowKey={(v) => v.id}
          columns={[
            { header: 'Name', cell: (v) => <NameCell name={v.display_name} id={v.id} to={`/vaults/${v.id}`} /> },
            { header: 'Created', cell: (v) => formatDate(v.created_at) },
          ]}
        />
      ) : null}
    </section>
  );
}
