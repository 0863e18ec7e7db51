/** Adds a credential to a vault. Secrets are typed into password fields and never shown again. */
import { useState, type FormEvent } from 'react';
import { post } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import type { Credential, CredentialType } from './vault-types.ts';

const TYPE_LABELS: Record<CredentialType, string> = {
  static_bearer: 'MCP server bearer token',
  mcp_oauth: 'MCP server OAuth access token',
  environment_variable: 'Environment variable (secret)',
};

function authBody(type: CredentialType, f: Record<string, string>): Record<string, unknown> {
  if (type === 'static_bearer') return { type, token: f.secret, mcp_server_url: f.url };
  if (type === 'mcp_oauth') return { type, access_token: f.secret, mcp_server_url: f.url };
  const hosts = (f.hosts ?? '').split(/[\s,]+/).filter(Boolean);
  return { type, secret_name: f.name, secret_value: f.secret, networking: hosts.length ? { type: 'limited', allowed_hosts: hosts } : { type: 'unrestricted' } };
}

export function CredentialForm({ vaultId, queryKey }: { vaultId: string; queryKey: readonly unknown[] }) {
  const [type, setType] = useState<CredentialType>('static_bearer');
  const [fields, setFields] = useState<Record<string, string>>({});
  const set = (k: string, v: string) => setFields((f) => ({ ...f, [k]: v }));
  const create = useApiMutation(
    () => post<Credential>(`/v1/vaults/${vaultId}/credentials`, { display_name: fields.display?.trim() || null, auth: authBody(type, fields) }),
    [queryKey],
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    // The secret leaves the page's memory as soon as it is saved.
    create.mutate(undefined, { onSuccess: () => setFields({}) });
  }
  const input = (key: string, label: string, props: Record<string, unknown> = {}) => (
    <Field label={label}>{(id) => <input id={id} required value={fields[key] ?? ''} onChange={(e) => set(key, e.target.value)} {...props} />}</Field>
  );
  return (
    <form className="panel stack" onSubmit={submit}>
      <h2>Add a credential</h2>
      <div className="grid-2">
        <Field label="Kind">
          {(id) => (
            <select id={id} value={type} onChange={(e) => setType(e.target.value as CredentialType)}>
              {Object.entries(TYPE_LABELS).map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Label">{(id) => <input id={id} value={fields.display ?? ''} placeholder="optional" onChange={(e) => set('display', e.target.value)} />}</Field>
      </div>
      {type === 'environment_variable' ? (
        <div className="grid-2">
          {input('name', 'Variable name', { pattern: '[A-Za-z_][A-Za-z0-9_]*', placeholder: 'GITHUB_TOKEN' })}
          <Field label="Allowed hosts" hint="Where the secret may be sent; empty: any host.">
            {(id) => <input id={id} value={fields.hosts ?? ''} placeholder="api.github.com" onChange={(e) => set('hosts', e.target.value)} />}
          </Field>
        </div>
      ) : (
        input('url', 'MCP server URL', { type: 'url', placeholder: 'https://mcp.example.com/mcp' })
      )}
      {input('secret', type === 'environment_variable' ? 'Secret value' : 'Token', { type: 'password', autoComplete: 'off' })}
      <p className="hint">Write-only: after saving, the secret cannot be read back from the server or this page.</p>
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Save credential
        </button>
      </div>
      {create.isSuccess ? <p role="status">Credential saved.</p> : null}
      <ErrorNote error={create.error} />
    </form>
  );
}
