/** One skill: its versions (download each as a zip), a new version from a folder or zip, delete. */
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { del, get } from '../../api/client.ts';
import { useApiMutation } from '../../api/resources.ts';
import type { Page } from '../../api/types.ts';
import { download, upload } from '../../api/transfer.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { formatDate } from '../../lib/format.ts';
import { skillForm, type Skill, type SkillVersion } from './skill-types.ts';
import { SkillUpload } from './SkillUpload.tsx';

export function SkillPage() {
  const { skillId = '' } = useParams();
  const base = `/v1/skills/${encodeURIComponent(skillId)}`;
  const navigate = useNavigate();
  const skill = useQuery({ queryKey: ['skills', skillId], queryFn: () => get<Skill>(base) });
  const versions = useQuery({ queryKey: ['skills', skillId, 'versions'], queryFn: () => get<Page<SkillVersion>>(`${base}/versions?limit=100`) });
  const [error, setError] = useState<unknown>(null);
  const addVersion = useApiMutation((files: File[]) => upload<SkillVersion>(`${base}/versions`, skillForm(files)), [['skills', skillId], ['optional', '/v1/skills']]);
  const remove = useApiMutation(() => del(base), [['optional', '/v1/skills']]);
  async function save(v: SkillVersion) {
    setError(null);
    try {
      await download(`${base}/versions/${encodeURIComponent(v.version)}/content`, `${v.name}-${v.version}.zip`);
    } catch (err) {
      setError(err);
    }
  }
  if (skill.error) return <ErrorNote error={skill.error} />;
  const s = skill.data;
  return (
    <section className="page">
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/skills">Skills</Link> /
          </p>
          <h1>{s?.display_name ?? 'Skill'}</h1>
          <p className="muted mono">{skillId}</p>
        </div>
        <div className="actions">
          <button type="button" className="danger-outline" disabled={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: () => navigate('/skills') })}>
            Delete skill
          </button>
        </div>
      </div>
      <ErrorNote error={remove.error ?? error} />
      <h2>Versions</h2>
      <ErrorNote error={versions.error} />
      <SkillUpload label="Upload new version" pending={addVersion.isPending} error={addVersion.error} onUpload={(files) => addVersion.mutate(files)} />
      {versions.data ? (
        <DataTable
          caption="Versions"
          rows={versions.data.data}
          rowKey={(v) => v.version}
          columns={[
            { header: 'Version', cell: (v) => (<><span className="mono">{v.version}</span>{v.version === s?.latest_version_id ? <span className="badge"> latest</span> : null}</>) },
            { header: 'Name', cell: (v) => v.name },
            { header: 'Description', cell: (v) => v.description },
            { header: 'Created', cell: (v) => formatDate(v.created_at) },
            { header: 'Actions', hiddenHeader: true, cell: (v) => (<button type="button" className="small" onClick={() => void save(v)} aria-label={`Download version ${v.version}`}>Download</button>) },
          ]}
        />
      ) : null}
    </section>
  );
}
