/** Invitations: the form owners invite with, those sent, and those addressed to the signed-in user. */
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, post } from '../../api/client.ts';
import { keys, useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { formatDate } from '../../lib/format.ts';

interface Invitation {
  id: string;
  tenant_id: string;
  tenant_name: string;
  email: string;
  role: 'owner' | 'member';
  status: 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';
  created_at: string;
  expires_at: string;
}

const SENT = ['invitations', 'sent'] as const;
const RECEIVED = ['invitations', 'received'] as const;

export function InviteForm() {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'owner'>('member');
  const invite = useApiMutation(() => post<Invitation>('/v1/tenant/invitations', { email: email.trim(), role }), [SENT]);
  function submit(e: FormEvent) {
    e.preventDefault();
    invite.mutate(undefined, { onSuccess: () => setEmail('') });
  }
  return (
    <form className="panel stack" onSubmit={submit}>
      <h2>Invite someone</h2>
      <div className="inline-form">
        <Field label="Email" hint="They join when they sign in with this email and accept.">
          {(id) => <input id={id} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value as 'member' | 'owner')}>
              <option value="member">Member</option>
              <option value="owner">Owner</option>
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={invite.isPending}>
          Invite
        </button>
      </div>
      {invite.isSuccess ? <p role="status">Invitation sent to {invite.data.email}.</p> : null}
      <ErrorNote error={invite.error} />
    </form>
  );
}

export function SentInvitations() {
  const sent = useQuery({ queryKey: SENT, queryFn: () => get<Page<Invitation>>('/v1/tenant/invitations?direction=sent') });
  const revoke = useApiMutation((id: string) => del(`/v1/tenant/invitations/${id}`), [SENT]);
  if (!sent.data?.data.length) return <ErrorNote error={sent.error} />;
  return (
    <section className="panel" aria-labelledby="sent-heading">
      <h2 id="sent-heading">Invitations sent</h2>
      <ErrorNote error={revoke.error} />
      <DataTable
        rows={sent.data.data}
        rowKey={(i) => i.id}
        columns={[
          { header: 'Email', cell: (i) => i.email },
          { header: 'Role', cell: (i) => i.role },
          { header: 'Status', cell: (i) => i.status },
          { header: 'Expires', cell: (i) => formatDate(i.expires_at) },
          {
            header: 'Actions',
            hiddenHeader: true,
            cell: (i) =>
              i.status === 'pending' ? (
                <button type="button" className="subtle small" aria-label={`Revoke the invitation of ${i.email}`} onClick={() => revoke.mutate(i.id)}>
                  Revoke
                </button>
              ) : null,
          },
        ]}
      />
    </section>
  );
}

export function ReceivedInvitations() {
  const queryClient = useQueryClient();
  const received = useQuery({ queryKey: RECEIVED, queryFn: () => get<Page<Invitation>>('/v1/tenant/invitations') });
  const answer = useApiMutation(({ id, verb }: { id: string; verb: 'accept' | 'decline' }) => post(`/v1/tenant/invitations/${id}/${verb}`), [RECEIVED, keys.members, ['me']]);
  const pending = (received.data?.data ?? []).filter((i) => i.status === 'pending');
  if (pending.length === 0) return <ErrorNote error={received.error} />;
  return (
    <section className="panel" aria-labelledby="received-heading">
      <h2 id="received-heading">Invitations for you</h2>
      <ul className="plain-list">
        {pending.map((i) => (
          <li key={i.id} className="actions">
            <span>
              Join <strong>{i.tenant_name}</strong> as {i.role}
            </span>
            <button type="button" className="primary small" onClick={() => answer.mutate({ id: i.id, verb: 'accept' }, { onSuccess: () => void queryClient.invalidateQueries() })}>
              Accept
            </button>
            <button type="button" className="subtle small" onClick={() => answer.mutate({ id: i.id, verb: 'decline' })}>
              Decline
            </button>
          </li>
        ))}
      </ul>
      <ErrorNote error={answer.error} />
    </section>
  );
}
