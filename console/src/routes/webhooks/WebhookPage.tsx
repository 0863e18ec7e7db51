/** One webhook endpoint: its status and deliveries (attempts, status codes, timings), redeliver. */
import { useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { get, post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { formatDate } from '../../lib/format.ts';
import type { Webhook, WebhookDelivery } from './webhook-types.ts';

function attempts(d: WebhookDelivery): string {
  return d.attempts.map((a) => `${a.status_code ?? a.error ?? '—'} in ${a.duration_ms} ms${a.trigger === 'redeliver' ? ' (redelivery)' : ''}`).join(' · ');
}

export function WebhookPage() {
  const { webhookId = '' } = useParams();
  const webhook = useQuery({ queryKey: ['webhooks', webhookId], queryFn: () => get<Webhook>(`/v1/webhooks/${webhookId}`) });
  const deliveriesKey = ['webhooks', webhookId, 'deliveries'] as const;
  const deliveries = useQuery({ queryKey: deliveriesKey, queryFn: () => get<Page<WebhookDelivery>>(`/v1/webhooks/${webhookId}/deliveries?limit=100`), refetchInterval: 3000 });
  const redeliver = useApiMutation((id: string) => post<WebhookDelivery>(`/v1/webhooks/${webhookId}/deliveries/${id}/redeliver`, {}), [deliveriesKey]);
  if (webhook.error) return <ErrorNote error={webhook.error} />;
  const columns: Column<WebhookDelivery>[] = [
    { header: 'Event', cell: (d) => <><code>{d.event_type}</code><div className="mono muted">{d.event_id}</div></> },
    { header: 'Status', cell: (d) => (d.status === 'pending' && d.next_attempt_at ? `pending (next ${formatDate(d.next_attempt_at)})` : d.status) },
    { header: 'Attempts', cell: (d) => `${d.attempt_count}${d.attempts.length ? `: ${attempts(d)}` : ''}` },
    { header: 'Created', cell: (d) => formatDate(d.created_at) },
    {
      header: 'Actions',
      hiddenHeader: true,
      cell: (d) => (
        <button type="button" className="small" aria-label={`Redeliver ${d.event_type} ${d.event_id}`} onClick={() => redeliver.mutate(d.id)}>Redeliver</button>
      ),
    },
  ];
  const list = deliveries.data?.data ?? [];
  return (
    <section className="page">
      <h1>{webhook.data?.url ?? 'Webhook'}</h1>
      <p className="mono muted">{webhookId}</p>
      {webhook.data ? (
        <p>
          Status: <strong>{webhook.data.status.replace('_', ' ')}</strong>
          {webhook.data.disabled_reason ? ` — ${webhook.data.disabled_reason}` : ''}
        </p>
      ) : null}
      <ErrorNote error={deliveries.error ?? redeliver.error} />
      <h2>Deliveries</h2>
      {deliveries.data && list.length === 0 ? <p className="hint">No deliveries yet.</p> : null}
      {list.length > 0 ? <DataTable rows={list} columns={columns} rowKey={(d) => d.id} caption="Deliveries" /> : null}
    </section>
  );
}
