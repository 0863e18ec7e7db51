/**
 * A skill upload as the API takes it: files under one top-level directory holding SKILL.md (or one
 * zip archive of such a directory). Paths are checked (relative, no `..`, no empty segments) and
 * made relative to that directory; SKILL.md's frontmatter gives the name (kebab-case) and the
 * description. Skills are small (SKILL_MAX_BYTES), so the files are read into memory here.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { InvalidRequestError, RequestTooLargeError } from '../errors.ts';
import type { SpooledPart } from '../files/multipart-upload.ts';

export const SKILL_MAX_BYTES = 30 * 1024 * 1024;
export const SKILL_MAX_FILES = 500;
const NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export interface SkillBundle {
  name: string;
  description: string;
  /** Path relative to the skill's directory → bytes. */
  files: Map<string, Buffer>;
}

/** Reads the parts (tmp files) into a checked bundle; InvalidRequestError names what is wrong. */
export async function readSkillBundle(parts: SpooledPart[]): Promise<SkillBundle> {
  if (parts.length === 0) throw new InvalidRequestError('files: at least one file is required (the skill directory with SKILL.md, as files[] parts or one .zip)');
  const entries = new Map<string, Buffer>();
  if (parts.length === 1 && isZip(parts[0]!)) {
    for (const [path, data] of Object.entries(unzipArchive(await readFile(parts[0]!.tmpPath)))) {
      if (!path.endsWith('/')) entries.set(path, Buffer.from(data));
    }
  } else {
    for (const part of parts) entries.set(part.filename, await readFile(part.tmpPath));
  }
  return bundleOf(entries);
}

function isZip(part: SpooledPart): boolean {
  return part.filename.toLowerCase().endsWith('.zip') || part.mimeType === 'application/zip';
}

function unzipArchive(data: Buffer): Record<string, Uint8Array> {
  let total = 0;
  let count = 0;
  try {
    return unzipSync(data, {
      filter: (file) => {
        total += file.originalSize;
        count += 1;
        if (total > SKILL_MAX_BYTES) throw new RequestTooLargeError(`the skill archive unpacks to more than ${SKILL_MAX_BYTES} bytes`);
        if (count > SKILL_MAX_FILES) throw new InvalidRequestError(`the skill archive holds more than ${SKILL_MAX_FILES} files`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof RequestTooLargeError || err instanceof InvalidRequestError) throw err;
    throw new InvalidRequestError(`files: the .zip could not be read (${(err as Error).message})`);
  }
}

function cleanPath(raw: string): string {
  const path = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  const segments = path.split('/');
  if (path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || /[\u0000-\u001f]/.test(path)) {
    throw new InvalidRequestError(`files: ${JSON.stringify(raw)} is not a relative path inside the skill directory`);
  }
  return path;
}

function bundleOf(raw: Map<string, Buffer>): SkillBundle {
  const paths = [...raw.keys()].map(cleanPath);
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.split('/')[0]! : '')));
  if (tops.size !== 1) throw new InvalidRequestError(`files: every file must be under one top-level directory (found ${[...tops].map((t) => JSON.stringify(t || '.')).join(', ')})`);
  const top = [...tops][0]!;
  const files = new Map<string, Buffer>();
  for (const [i, data] of [...raw.values()].entries()) files.set(top ? paths[i]!.slice(top.length + 1) : paths[i]!, data);
  const skillMd = files.get('SKILL.md');
  if (!skillMd) throw new InvalidRequestError(`files: ${top ? `${top}/` : ''}SKILL.md is missing; a skill's directory must hold a SKILL.md`);
  const { name, description } = parseFrontmatter(skillMd.toString('utf8'));
  return { name, description, files };
}

/** `name` and `description` from SKILL.md's YAML frontmatter (plain, quoted or folded scalars). */
export function parseFrontmatter(text: string): { name: string; description: string } {
  const match = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!match) throw new InvalidRequestError('SKILL.md: must start with YAML frontmatter (---, name: …, description: …, ---)');
  const fields: Record<string, string> = {};
  let current: string | undefined;
  for (const line of match[1]!.split(/\r?\n/)) {
    const kv = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (kv) {
      current = kv[1]!;
      fields[current] = kv[2]!.trim().replace(/^[>|][-+]?$/, '');
    } else if (current && /^\s+\S/.test(line)) {
      fields[current] = `${fields[current]} ${line.trim()}`.trim();
    }
  }
  const unquote = (v: string | undefined) => (v ?? '').replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1').trim();
  const name = unquote(fields.name);
  const description = unquote(fields.description);
  if (!NAME_PATTERN.test(name) || name.length > 64) throw new InvalidRequestError(`SKILL.md: name ${JSON.stringify(name)} must be kebab-case (a-z, 0-9, "-"), 1–64 characters`);
  if (description === '' || description.length > 1024) throw new InvalidRequestError('SKILL.md: description is required, at most 1024 characters');
  return { name, description };
}
