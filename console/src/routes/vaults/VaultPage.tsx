/** One vault: its credentials (configuration only, never secrets), add, archive. */
import { useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { get, post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
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
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Credentials</caption>
            <thead>
              <tr>
                <th scope="col">Credential</th>
                <th scope="col">Kind</th>
                <th scope="col">Used for</th>
                <th scope="col">Updated</th>
                <th scope="col"><span className="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <td>
                    {c.display_name ?? c.id}
                    <div className="muted small">secret hidden</div>
                  </td>
                  <td>{c.auth.type}</td>
                  <td className="mono">{target(c)}</td>
                  <td>{formatDate(c.updated_at)}</td>
                  <td>
                    <button type="button" className="subtle small" aria-label={`Archive ${c.display_name ?? c.id}`} onClick={() => archive.mutate(c.id)}>
                      Archive
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <CredentialForm vaultId={vaultId} queryKey={credentialsKey} />
    </section>
  );
}
