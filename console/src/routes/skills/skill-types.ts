/** Skills as the API returns them (§2.13), and building an upload form from a folder or a zip. */
export interface Skill {
  id: string;
  display_name: string;
  latest_version_id: string;
  source: { type: string };
  created_at: string;
  updated_at: string;
}

export interface SkillVersion {
  id: string;
  skill_id: string;
  version: string;
  name: string;
  description: string;
  created_at: string;
}

/** files[] parts: a folder's files under their relative paths (one top-level directory), or one .zip. */
export function skillForm(files: FileList | File[], displayName?: string): FormData {
  const form = new FormData();
  for (const file of Array.from(files)) form.append('files[]', file, file.webkitRelativePath || file.name);
  if (displayName) form.append('display_name', displayName);
  return form;
}
