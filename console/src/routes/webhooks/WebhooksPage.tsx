/** Webhook endpoints: create (the signing secret is shown once), list, enable/disable, rotate the secret, delete. */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { del, get, post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { formatDate } from '../../lib/format.ts';
import { EVENT_TYPES, type Webhook, type WebhookWithSecret } from './webhook-types.ts';

export const webhooksKey = ['webhooks'] as const;

export function WebhooksPage() {
  const list = useQuery({ queryKey: webhooksKey, queryFn: () => get<Page<Webhook>>('/v1/webhooks?limit=100') });
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [secret, setSecret] = useState<WebhookWithSecret | null>(null);
  const create = useApiMutation(
    () => post<WebhookWithSecret>('/v1/webhooks', { url: url.trim(), event_types: types, ...(description.trim() ? { description: description.trim() } : {}) }),
    [webhooksKey],
  );
  const rotate = useApiMutation((id: string) => post<WebhookWithSecret>(`/v1/webhooks/${id}/rotate_secret`, {}), [webhooksKey]);
  const setStatus = useApiMutation(({ id, status }: { id: string; status: 'enabled' | 'disabled' }) => post<Webhook>(`/v1/webhooks/${id}`, { status }), [webhooksKey]);
  const remove = useApiMutation((id: string) => del(`/v1/webhooks/${id}`), [webhooksKey]);
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: (w) => { setSecret(w); setUrl(''); setDescription(''); setTypes([]); } });
  }
  const columns: Column<Webhook>[] = [
    { header: 'Endpoint', cell: (w) => <Link to={`/webhooks/${w.id}`}>{w.url}</Link> },
    { header: 'Events', cell: (w) => (w.event_types.length === 0 ? 'all' : w.event_types.join(', ')) },
    { header: 'Status', cell: (w) => <span title={w.disabled_reason ?? undefined}>{w.status.replace('_', ' ')}</span> },
    { header: 'Created', cell: (w) => formatDate(w.created_at) },
    {
      header: 'Actions',
      hiddenHeader: true,
      cell: (w) => (
        <span className="row-actions">
          <button type="button" className="small" aria-label={`Rotate the secret of ${w.url}`} onClick={() => rotate.mutate(w.id, { onSuccess: setSecret })}>Rotate secret</button>
          <button type="button" className="small" onClick={() => setStatus.mutate({ id: w.id, status: w.status === 'enabled' ? 'disabled' : 'enabled' })}>
            {w.status === 'enabled' ? 'Disable' : 'Enable'}
          </button>
          <button type="button" className="danger-outline small" aria-label={`Delete ${w.url}`} onClick={() => remove.mutate(w.id)}>Delete</button>
        </span>
      ),
    },
  ];
  return (
    <section className="page">
      <h1>Webhooks</h1>
      <p className="lede">
        Endpoints receive session, deployment and credential events as signed POSTs (Standard Webhooks). Verify them with{' '}
        <code>client.beta.webhooks.unwrap(body, {'{'} headers, key: secret {'}'})</code> and deduplicate on <code>webhook-id</code>.
      </p>
      <form className="panel" onSubmit={submit} aria-label="New webhook endpoint">
        <Field label="Endpoint URL">{(id) => <input id={id} type="url" required placeholder="https://example.com/hooks/agents" value={url} onChange={(e) => setUrl(e.target.value)} />}</Field>
        <Field label="Description">{(id) => <input id={id} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
        <fieldset>
          <legend>Events (none ticked = all)</legend>
          {EVENT_TYPES.map((t) => (
            <label key={t} className="checkbox">
              <input type="checkbox" checked={types.includes(t)} onChange={(e) => setTypes(e.target.checked ? [...types, t] : types.filter((x) => x !== t))} /> <code>{t}</code>
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={create.isPending}>Create endpoint</button>
      </form>
      <ErrorNote error={create.error ?? list.error ?? rotate.error ?? setStatus.error ?? remove.error} />
      {secret ? <NewSecret webhook={secret} onDone={() => setSecret(null)} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <EmptyState title="No webhook endpoints">
          <p>Create one above to be told when sessions go idle, deployment runs finish or a credential refresh fails.</p>
        </EmptyState>
      ) : null}
      {list.data && list.data.data.length > 0 ? <DataTable rows={list.data.data} columns={columns} rowKey={(w) => w.id} caption="Webhook endpoints" /> : null}
    </section>
  );
}

/** The one time a signing secret is shown (after create or rotate). */
function NewSecret({ webhook, onDone }: { webhook: WebhookWithSecret; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    await navigator.clipboard.writeText(webhook.secret);
    setCopied(true);
  }
  return (
    <div className="panel new-key" role="status">
      <h2>Signing secret for {webhook.url}</h2>
      <p>Copy it now: it is shown only once. After a rotation the previous secret keeps signing for 24 hours.</p>
      <div className="key-row">
        <code className="mono" aria-label="Signing secret">{webhook.secret}</code>
        <button type="button" onClick={() => void copy()}>{copied ? 'Copied' : 'Copy'}</button>
        <button type="button" className="subtle" onClick={onDone}>Done</button>
      </div>
    </div>
  );
}
