/**
 * Doublestar globs: `**` matches any number of directories, `*` and `?` stay within one path
 * segment, `[abc]`/`[!abc]` are classes and `{a,b}` alternatives. Matching is on paths relative
 * to the search root, with `/` separators; `*` also matches names starting with a dot.
 */

const GLOB_CHARS = /[*?[{]/;

/** Splits a pattern into its literal leading directories (the search root) and the glob rest. */
export function splitGlobBase(pattern: string): { base: string; rest: string } {
  const segments = pattern.split('/');
  const literal: string[] = [];
  while (segments.length > 1 && !GLOB_CHARS.test(segments[0])) literal.push(segments.shift()!);
  const base = literal.length === 1 && literal[0] === '' ? '/' : literal.join('/');
  return { base, rest: segments.join('/') };
}

/** Compiles a glob to an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${translate(pattern)}$`);
}

function translate(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      const atSegmentStart = i === 0 || pattern[i - 1] === '/';
      const next = pattern[i + 2];
      if (atSegmentStart && next === '/') {
        out += '(?:.*/)?';
        i += 2;
        continue;
      }
      if (atSegmentStart && next === undefined) {
        out += '.*';
        i += 1;
        continue;
      }
    }
    if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else if (char === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) out += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/^!/, '^').replaceAll('\\', '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else if (char === '{') {
      const close = findClosingBrace(pattern, i);
      if (close === -1) out += '\\{';
      else {
        out += `(?:${splitAlternatives(pattern.slice(i + 1, close)).map(translate).join('|')})`;
        i = close;
      }
    } else out += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return out;
}

function findClosingBrace(pattern: string, open: number): number {
  let depth = 0;
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function splitAlternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    if (char === '{') depth++;
    if (char === '}') depth--;
    current += char;
  }
  parts.push(current);
  return parts;
}
