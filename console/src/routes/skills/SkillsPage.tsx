/** Skills: folders with a SKILL.md that agents load on demand. List and upload (folder or zip). */
import { useState } from 'react';
import { Link } from 'react-router';
import { useApiMutation, useOptionalList } from '../../api/resources.ts';
import { upload } from '../../api/transfer.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { NotAvailable } from '../../components/NotAvailable.tsx';
import { formatDate } from '../../lib/format.ts';
import { skillForm, type Skill } from './skill-types.ts';
import { SkillUpload } from './SkillUpload.tsx';

const LIST = '/v1/skills';

export function SkillsPage() {
  const skills = useOptionalList<Skill>(LIST);
  const [displayName, setDisplayName] = useState('');
  const create = useApiMutation((files: File[]) => upload<Skill>(LIST, skillForm(files, displayName.trim() || undefined)), [['optional', LIST]]);
  const list = skills.data?.data ?? [];
  return (
    <section className="page">
      <h1>Skills</h1>
      <p className="lede">A skill is a folder with a SKILL.md (name and description in its frontmatter) and the files it needs. Agents that list it get it under /workspace/skills and load it when the task calls for it.</p>
      <ErrorNote error={skills.error} />
      {skills.data === null ? <NotAvailable what="skills" path={LIST} /> : null}
      {skills.data ? (
        <SkillUpload label="Upload skill" pending={create.isPending} error={create.error} onUpload={(files) => create.mutate(files, { onSuccess: () => setDisplayName('') })}>
          <Field label="Display name (optional)">{(id) => <input id={id} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}</Field>
        </SkillUpload>
      ) : null}
      {skills.data && list.length === 0 ? (
        <EmptyState title="No skills yet">
          <p>Upload a skill folder above, then add it to an agent as {'{type: "custom", skill_id}'}.</p>
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <DataTable
          caption="Skills"
          rows={list}
          rowKey={(s) => s.id}
          columns={[
            { header: 'Name', cell: (s) => (<><Link to={`/skills/${s.id}`}>{s.display_name}</Link><div className="mono muted small">{s.id}</div></>) },
            { header: 'Latest version', cell: (s) => <span className="mono small">{s.latest_version_id}</span> },
            { header: 'Updated', cell: (s) => formatDate(s.updated_at) },
          ]}
        />
      ) : null}
    </section>
  );
}
