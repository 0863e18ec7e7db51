/** One vault: its credentials (configuration only, never secrets), add, archive. */
import { useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { get, post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';
import { CredentialForm } from './CredentialForm.tsx';
import type { Credential, Vault } from './vault-types.ts';

function target(c: Credential): string {
  if (c.auth.type === 'environment_variable') {
    const hosts = c.auth.networking?.type === 'limited' ? ` → ${c.auth.networking.allowed_hosts?.join(', ')}` : ' → any host';
    return `$${c.auth.secret_name ?? ''}${hosts}`;
  }
  return c.auth.mcp_server_url ?? '';
}

export function VaultPage() {
  const { vaultId = '' } = useParams();
  const vault = useQuery({ queryKey: ['vaults', vaultId], queryFn: () => get<Vault>(`/v1/vaults/${vaultId}`) });
  const credentialsKey = ['vaults', vaultId, 'credentials'] as const;
  const credentials = useQuery({ queryKey: credentialsKey, queryFn: () => get<Page<Credential>>(`/v1/vaults/${vaultId}/credentials?limit=100`) });
  const archive = useApiMutation((id: string) => post(`/v1/vaults/${vaultId}/credentials/${id}/archive`), [credentialsKey]);
  if (vault.error) return <ErrorNote error={vault.error} />;
  const list = (credentials.data?.data ?? []).filter((c) => !c.archived_at);
  return (
    <section className="page">
      <h1>{vault.data?.display_name ?? 'Vault'}</h1>
      <p className="mono muted">{vaultId}</p>
      <ErrorNote error={credentials.error ?? archive.error} />
      {list.length === 0 && credentials.data ? <p className="hint">No credentials yet. Add one below.</p> : null}
      {list.length > 0 ? (
        <DataTable
          caption="Credentials"
          rows={list}
          rowKey={(c) => c.id}
          columns={[
            { header: 'Credential', cell: (c) => (<>{c.display_name ?? c.id}<div className="muted small">secret hidden</div></>) },
            { header: 'Kind', cell: (c) => c.auth.type },
            { header: 'Used for', className: 'mono', cell: (c) => target(c) },
            { header: 'Updated', cell: (c) => formatDate(c.updated_at) },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (c) => (
                <button type="button" className="subtle small" aria-label={`Archive ${c.display_name ?? c.id}`} onClick={() => archive.mutate(c.id)}>
                  Archive
                </button>
              ),
            },
          ]}
        />
      ) : null}
      <CredentialForm vaultId={vaultId} queryKey={credentialsKey} />
    </section>
  );
}
