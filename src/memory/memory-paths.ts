/**
 * Memory path rules (reference §2.10): `/`-rooted, 1–20 segments, no empty/`.`/`..` segment, no
 * control or format characters nor U+2028/U+2029, NFC, at most 1,024 UTF-8 bytes. Two paths
 * overlap when one is an ancestor of the other; overlapping or equal paths conflict.
 */
import { InvalidRequestError } from '../errors.ts';

export const MAX_PATH_BYTES = 1024;
export const MAX_PATH_SEGMENTS = 20;
export const MAX_CONTENT_BYTES = 102_400;

/** Throws InvalidRequestError naming `field` when `path` breaks a rule. */
export function assertMemoryPath(path: string, field = 'path'): void {
  const fail = (why: string) => {
    throw new InvalidRequestError(`${field}: ${JSON.stringify(path)} ${why}`);
  };
  if (!path.startsWith('/')) fail('must start with "/", e.g. "/notes/todo.md"');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) fail(`is longer than ${MAX_PATH_BYTES} bytes`);
  if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(path)) fail('contains a control or format character (or U+2028/U+2029)');
  if (path.normalize('NFC') !== path) fail('is not in Unicode Normalization Form C');
  const segments = path.slice(1).split('/');
  if (segments.length > MAX_PATH_SEGMENTS) fail(`has more than ${MAX_PATH_SEGMENTS} segments`);
  for (const s of segments) {
    if (s === '') fail('has an empty segment (a doubled or trailing "/")');
    if (s === '.' || s === '..') fail('has a "." or ".." segment');
  }
}

/** `path_prefix` of a list: `/`-rooted and ending in `/`; "/" is the whole store. */
export function assertPathPrefix(prefix: string): void {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw new InvalidRequestError(`path_prefix: ${JSON.stringify(prefix)} must start and end with "/", e.g. "/notes/"`);
  }
  if (prefix !== '/') assertMemoryPath(prefix.slice(0, -1), 'path_prefix');
}

/** The proper ancestors of a path: "/a/b/c" → ["/a", "/a/b"]. */
export function ancestorsOf(path: string): string[] {
  const segments = path.slice(1).split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) out.push(`/${segments.slice(0, i).join('/')}`);
  return out;
}

/** Content limit, counted in UTF-8 bytes. */
export function assertContentSize(content: string, field = 'content'): void {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > MAX_CONTENT_BYTES) throw new InvalidRequestError(`${field}: ${bytes} bytes is more than the ${MAX_CONTENT_BYTES}-byte (100 kB) limit of a memory`);
}

/** The mount directory name of a store: name lowercased, each run of other than [a-z0-9] → "-". */
export function slugOf(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return slug === '' ? 'memory' : slug;
}

/**
 * The least string bytewise after every path below `prefix` (which ends in "/"): "/a/" → "/a0",
 * as "0" is the byte after "/". Paths below a prefix are the range [prefix, pastPrefix(prefix)).
 */
export function pastPrefix(prefix: string): string {
  return `${prefix.slice(0, -1)}0`;
}

/** Bytewise order of UTF-8 strings (the same on every database, unlike collations). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
