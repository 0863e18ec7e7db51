/** API keys for scripts and the SDK: created keys are shown once; revoking takes effect at once. */
import { useState, type FormEvent } from 'react';
import { del, post } from '../../api/client.ts';
import { keys, useApiKeys, useApiMutation } from '../../api/resources.ts';
import type { ApiKey } from '../../api/types.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { formatDate } from '../../lib/format.ts';

export function ApiKeysPage() {
  const list = useApiKeys();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const [copied, setCopied] = useState(false);
  const create = useApiMutation(() => post<ApiKey & { key: string }>('/v1/api_keys', name.trim() ? { name: name.trim() } : {}), [keys.apiKeys]);
  const revoke = useApiMutation((id: string) => del(`/v1/api_keys/${id}`), [keys.apiKeys]);

  function submit(e: FormEvent) {
    e.preventDefault();
    setCopied(false);
    create.mutate(undefined, { onSuccess: (k) => { setCreated(k); setName(''); } });
  }
  async function copy() {
    if (!created) return;
    await navigator.clipboard.writeText(created.key);
    setCopied(true);
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
      {created ? (
        <div className="panel new-key" role="status">
          <h2>Key “{created.name}” created</h2>
          <p>Copy it now: it is shown only once.</p>
          <div className="key-row">
            <code className="mono" aria-label="New API key">{created.key}</code>
            <button type="button" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button type="button" className="subtle" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState title="No API keys">
          <p>Create one above to call the API from a script or the SDK.</p>
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>{formatDate(k.created_at)}</td>
                  <td>{k.last_used_at ? formatDate(k.last_used_at) : 'never'}</td>
                  <td>
                    <button type="button" className="danger-outline small" aria-label={`Revoke ${k.name}`} onClick={() => revoke.mutate(k.id)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
