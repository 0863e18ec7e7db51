/** The tenant's members; an owner adds someone who has already signed up. */
import { useState, type FormEvent } from 'react';
import { post } from '../../api/client.ts';
import { useMe } from '../../api/auth.ts';
import { keys, useApiMutation, useMembers } from '../../api/resources.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { formatDate } from '../../lib/format.ts';

export function MembersPage() {
  const me = useMe().data;
  const members = useMembers();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'owner'>('member');
  const add = useApiMutation(() => post('/v1/tenant/members', { email: email.trim(), role }), [keys.members]);
  const isOwner = me?.tenant.role === 'owner';

  function submit(e: FormEvent) {
    e.preventDefault();
    add.mutate(undefined, { onSuccess: () => setEmail('') });
  }

  return (
    <section className="page">
      <h1>Members</h1>
      <p className="lede">People who share this workspace ({me?.tenant.name}): its agents, sessions, environments and keys.</p>
      {isOwner ? (
        <form className="panel inline-form" onSubmit={submit}>
          <Field label="Email" hint="They must have signed up on this server first.">
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
          <button type="submit" className="primary" disabled={add.isPending}>
            Add member
          </button>
        </form>
      ) : null}
      <ErrorNote error={add.error ?? members.error} />
      {members.data ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {members.data.data.map((m) => (
                <tr key={m.user_id}>
                  <td>{m.name ?? '—'}</td>
                  <td>{m.email ?? '—'}</td>
                  <td>{m.role}</td>
                  <td>{formatDate(m.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {members.data?.data.length === 0 ? <p className="hint">No members: with authentication disabled, everyone acts as the single default user.</p> : null}
    </section>
  );
}
