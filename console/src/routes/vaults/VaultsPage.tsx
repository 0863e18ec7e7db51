/** Vaults: named sets of credentials that sessions use without seeing them. List, create. */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
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
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((v) => (
                <tr key={v.id}>
                  <td>
                    <Link to={`/vaults/${v.id}`}>{v.display_name}</Link>
                    <div className="mono muted small">{v.id}</div>
                  </td>
                  <td>{formatDate(v.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
