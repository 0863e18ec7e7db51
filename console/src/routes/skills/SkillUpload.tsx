/** Picks a skill's folder (with SKILL.md at its top) or its .zip, and sends it as files[] parts. */
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';

export function SkillUpload({ label, pending, error, onUpload, children }: { label: string; pending: boolean; error: unknown; onUpload: (files: File[]) => void; children?: ReactNode }) {
  const folder = useRef<HTMLInputElement>(null);
  const zip = useRef<HTMLInputElement>(null);
  const [files, setFiles] = useState<File[]>([]);
  function submit(e: FormEvent) {
    e.preventDefault();
    if (files.length > 0) onUpload(files);
  }
  // Non-standard but supported by every browser: folder selection keeps webkitRelativePath.
  const folderProps = { webkitdirectory: '', directory: '' } as Record<string, string>;
  return (
    <form className="panel inline-form" onSubmit={submit}>
      <Field label="Skill folder">
        {(id) => <input id={id} ref={folder} type="file" multiple {...folderProps} onChange={(e) => { setFiles(Array.from(e.target.files ?? [])); if (zip.current) zip.current.value = ''; }} />}
      </Field>
      <Field label="or a .zip">
        {(id) => <input id={id} ref={zip} type="file" accept=".zip,application/zip" onChange={(e) => { setFiles(Array.from(e.target.files ?? [])); if (folder.current) folder.current.value = ''; }} />}
      </Field>
      {children}
      <button type="submit" className="primary" disabled={pending || files.length === 0}>
        {label}
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
