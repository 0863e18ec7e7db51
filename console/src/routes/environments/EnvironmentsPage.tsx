/** Environments: where sessions run (networking, packages). List, create, archive. */
import { useState, type FormEvent } from 'react';
import { post } from '../../api/client.ts';
import { keys, useApiMutation, useEnvironments } from '../../api/resources.ts';
import type { Environment } from '../../api/types.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { NameCell } from '../../components/NameCell.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { formatDate } from '../../lib/format.ts';

function networking(env: Environment): string {
  const n = env.config.networking;
  if (!n) return 'default';
  if (n.type === 'limited') return `limited${n.allowed_hosts?.length ? `: ${n.allowed_hosts.join(', ')}` : ''}`;
  return n.type;
}

const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);

export function EnvironmentsPage() {
  const envs = useEnvironments();
  const archive = useApiMutation((id: string) => post(`/v1/environments/${id}/archive`), [keys.environments]);
  const list = (envs.data?.data ?? []).filter((e) => !e.archived_at);
  return (
    <section className="page">
      <h1>Environments</h1>
      <p className="lede">An environment is the sandbox template a session runs in: its network access and packages. Sessions without one use the default.</p>
      <NewEnvironmentForm />
      <ErrorNote error={envs.error ?? archive.error} />
      {envs.data && list.length === 0 ? (
        <EmptyState title="No environments yet">
          <p>Sessions run in the default environment until you create one above.</p>
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <DataTable
          caption="Environments"
          rows={list}
          rowKey={(env) => env.id}
          columns={[
            { header: 'Name', cell: (env) => <NameCell name={env.name} id={env.id} /> },
            { header: 'Networking', cell: (env) => networking(env) },
            { header: 'Created', cell: (env) => formatDate(env.created_at) },
            {
              header: 'Actions',
              hiddenHeader: true,
              cell: (env) => (
                <button type="button" className="subtle" onClick={() => archive.mutate(env.id)} aria-label={`Archive ${env.name}`}>
                  Archive
                </button>
              ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}

function NewEnvironmentForm() {
  const [name, setName] = useState('');
  const [network, setNetwork] = useState<'unrestricted' | 'limited'>('unrestricted');
  const [hosts, setHosts] = useState('');
  const [apt, setApt] = useState('');
  const create = useApiMutation(
    () =>
      post<Environment>('/v1/environments', {
        name: name.trim(),
        config: {
          type: 'cloud',
          networking: network === 'limited' ? { type: 'limited', allowed_hosts: words(hosts) } : { type: 'unrestricted' },
          ...(words(apt).length ? { packages: { apt: words(apt) } } : {}),
        },
      }),
    [keys.environments],
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate(undefined, { onSuccess: () => { setName(''); setHosts(''); setApt(''); } });
  }
  return (
    <form className="panel stack" onSubmit={submit}>
      <h2>New environment</h2>
      <div className="grid-2">
        <Field label="Name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <Field label="Networking">
          {(id) => (
            <select id={id} value={network} onChange={(e) => setNetwork(e.target.value as 'unrestricted' | 'limited')}>
              <option value="unrestricted">Unrestricted</option>
              <option value="limited">Limited to listed hosts</option>
            </select>
          )}
        </Field>
      </div>
      {network === 'limited' ? (
        <Field label="Allowed hosts" hint="Separated by spaces or commas, e.g. api.github.com pypi.org">
          {(id) => <input id={id} value={hosts} onChange={(e) => setHosts(e.target.value)} />}
        </Field>
      ) : null}
      <Field label="Apt packages" hint="Optional, separated by spaces.">{(id) => <input id={id} value={apt} onChange={(e) => setApt(e.target.value)} />}</Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create environment
        </button>
      </div>
      <ErrorNote error={create.error} />
    </form>
  );
}
