/**
 * The workspace's members, invitations addressed to you (accept or decline), and for owners: invite
 * by email and the invitations sent (revoke while pending). Joining always takes the invitee's yes.
 */
import { useMe } from '../../api/auth.ts';
import { useMembers } from '../../api/resources.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';
import { InviteForm, ReceivedInvitations, SentInvitations } from './Invitations.tsx';

export function MembersPage() {
  const me = useMe().data;
  const members = useMembers();
  const isOwner = me?.tenant.role === 'owner';
  return (
    <section className="page">
      <h1>Members</h1>
      <p className="lede">People who share this workspace ({me?.tenant.name}): its agents, sessions, environments, vaults and keys.</p>
      <ReceivedInvitations />
      {isOwner ? <InviteForm /> : null}
      <ErrorNote error={members.error} />
      {members.data ? (
        <DataTable
          caption="Members"
          rows={members.data.data}
          rowKey={(m) => m.user_id}
          columns={[
            { header: 'Name', cell: (m) => m.name ?? '—' },
            { header: 'Email', cell: (m) => m.email ?? '—' },
            { header: 'Role', cell: (m) => m.role },
            { header: 'Since', cell: (m) => formatDate(m.created_at) },
          ]}
        />
      ) : null}
      {members.data?.data.length === 0 ? <p className="hint">No members: with authentication disabled, everyone acts as the single default user.</p> : null}
      {isOwner ? <SentInvitations /> : null}
    </section>
  );
}

