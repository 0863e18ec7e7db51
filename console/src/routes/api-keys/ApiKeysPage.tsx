/** API keys for scripts and the SDK: created keys are shown once; revoking takes effect at once. */
import { useState, type FormEvent } from 'react';
import { del, post } from '../../api/client.ts';
import { keys, useApiKeys, useApiMutation } from '../../api/resources.ts';
import type { ApiKey } from '../../api/types.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { formatDate } from '../../lib/format.ts';

type CreatedKey = ApiKey & { key: string };

export function ApiKeysPage() {
  const list = useApiKeys();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const create = useApiMutation(() => post<CreatedKey>('/v1/api_keys', name.trim() ? { name: name.trim() } : {}), [keys.apiKeys]);
  const revoke = useApiMutation((id: string) => del(`/v1/api_keys/${id}`), [keys.apiKeys]);
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: (k) => { setCreated(k); setName(''); } });
  }
  return (
    <section className="page">
      <h1>API keys</h1>
      <p className="lede">
        Keys let scripts and the Anthropic SDK use this server: <code>new Anthropic({'{'} apiKey, baseURL: '{window.location.origin}' {'}'})</code>.
      </p>
      <form className="panel inline-form" onSubmit={submit}>
        <Field label="Name">{(id) => <input id={id} placeholder="laptop" value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <ErrorNote error={create.error ?? list.error ?? revoke.error} />
      {created ? <NewKey created={created} onDone={() => setCreated(null)} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState title="No API keys">
          <p>Create one above to call the API from a script or the SDK.</p>
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? <DataTable rows={list.data.data} columns={columns(revoke.mutate)} rowKey={(k) => k.id} caption="API keys" /> : null}
    </section>
  );
}

function columns(revoke: (id: string) => void): Column<ApiKey>[] {
  return [
    { header: 'Name', cell: (k) => k.name },
    { header: 'Key', className: 'mono', cell: (k) => `${k.prefix}…` },
    { header: 'Created', cell: (k) => formatDate(k.created_at) },
    { header: 'Last used', cell: (k) => (k.last_used_at ? formatDate(k.last_used_at) : 'never') },
    {
      header: 'Actions',
      hiddenHeader: true,
      cell: (k) => (
        <button type="button" className="danger-outline small" aria-label={`Revoke ${k.name}`} onClick={() => revoke(k.id)}>
          Revoke
        </button>
      ),
    },
  ];
}

/** The one time a key's secret is shown. */
function NewKey({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    await navigator.clipboard.writeText(created.key);
    setCopied(true);
  }
  return (
    <div className="panel new-key" role="status">
      <h2>Key “{created.name}” created</h2>
      <p>Copy it now: it is shown only once.</p>
      <div className="key-row">
        <code className="mono" aria-label="New API key">
          {created.key}
        </code>
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="subtle" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
