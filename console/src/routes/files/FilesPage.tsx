/** Files: what clients uploaded and what agents left in /mnt/session/outputs. List, upload, download, delete. */
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { del } from '../../api/client.ts';
import { useApiMutation, useOptionalList } from '../../api/resources.ts';
import { download, formatBytes, upload } from '../../api/transfer.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { NotAvailable } from '../../components/NotAvailable.tsx';
import { formatDate } from '../../lib/format.ts';

export interface FileMeta {
  id: string;
  filename: string;
  mime_type: string;
  size_bytes: number;
  created_at: string;
  downloadable?: boolean;
  scope?: { type: string; id: string } | null;
}

const LIST = '/v1/files';

export function FilesPage() {
  const files = useOptionalList<FileMeta>(LIST);
  const input = useRef<HTMLInputElement>(null);
  const [chosen, setChosen] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const send = useApiMutation((file: File) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return upload<FileMeta>(LIST, form);
  }, [['optional', LIST]]);
  const remove = useApiMutation((id: string) => del(`${LIST}/${encodeURIComponent(id)}`), [['optional', LIST]]);
  function submit(e: FormEvent) {
    e.preventDefault();
    if (!chosen) return;
    send.mutate(chosen, {
      onSuccess: () => {
        setChosen(null);
        if (input.current) input.current.value = '';
      },
    });
  }
  async function save(f: FileMeta) {
    setError(null);
    try {
      await download(`${LIST}/${encodeURIComponent(f.id)}/content`, f.filename);
    } catch (err) {
      setError(err);
    }
  }
  const list = files.data?.data ?? [];
  return (
    <section className="page">
      <h1>Files</h1>
      <p className="lede">Files you upload can be given to a session as a resource (mounted read-only); files an agent writes to /mnt/session/outputs show up here, linked to their session.</p>
      <ErrorNote error={files.error} />
      {files.data === null ? <NotAvailable what="files" path={LIST} /> : null}
      {files.data ? (
        <form className="panel inline-form" onSubmit={submit}>
          <Field label="File">{(id) => <input id={id} ref={input} type="file" required onChange={(e) => setChosen(e.target.files?.[0] ?? null)} />}</Field>
          <button type="submit" className="primary" disabled={send.isPending || !chosen}>
            Upload
          </button>
          <ErrorNote error={send.error} />
        </form>
      ) : null}
      <ErrorNote error={error ?? remove.error} />
      {files.data && list.length === 0 ? (
        <EmptyState title="No files yet">
          <p>Upload one above (or with the SDK: client.beta.files.upload), then attach it to a session as {'{type: "file", file_id}'}.</p>
        </EmptyState>
      ) : null}
      {list.length > 0 ? (
        <FilesTable files={list} deleting={remove.isPending} onDownload={(f) => void save(f)} onDelete={(f) => remove.mutate(f.id)} />
      ) : null}
    </section>
  );
}

function FilesTable({ files, deleting, onDownload, onDelete }: { files: FileMeta[]; deleting: boolean; onDownload: (f: FileMeta) => void; onDelete: (f: FileMeta) => void }) {
  return (
    <DataTable
      caption="Files"
      rows={files}
      rowKey={(f) => f.id}
      columns={[
        { header: 'Name', cell: (f) => (<><span>{f.filename}</span><div className="mono muted small">{f.id}</div></>) },
        { header: 'Type', cell: (f) => <span className="mono small">{f.mime_type}</span> },
        { header: 'Size', cell: (f) => formatBytes(f.size_bytes) },
        { header: 'From', cell: (f) => (f.scope?.type === 'session' ? <Link to={`/sessions/${f.scope.id}`}>session output</Link> : 'upload') },
        { header: 'Created', cell: (f) => formatDate(f.created_at) },
        {
          header: 'Actions',
          hiddenHeader: true,
          cell: (f) => (
            <div className="row-actions">
              <button type="button" className="small" onClick={() => onDownload(f)} aria-label={`Download ${f.filename}`}>
                Download
              </button>
              <button type="button" className="small danger-outline" disabled={deleting} onClick={() => onDelete(f)} aria-label={`Delete ${f.filename}`}>
                Delete
              </button>
            </div>
          ),
        },
      ]}
    />
  );
}
