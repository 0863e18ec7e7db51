import { describe, expect, it } from 'vitest';
import { globToRegExp, splitGlobBase } from './glob-pattern.ts';

describe('globToRegExp', () => {
  it.each([
    ['**/*.ts', 'a.ts', true],
    ['**/*.ts', 'x/y/a.ts', true],
    ['**/*.ts', 'x/a.js', false],
    ['*.ts', 'x/a.ts', false],
    ['src/**', 'src/a/b', true],
    ['src/**/index.{js,ts}', 'src/index.ts', true],
    ['file?.[!a]s', 'file1.js', true],
    ['file?.[!a]s', 'file1.as', false],
    ['a.b', 'axb', false],
  ])('%s against %s is %s', (pattern, candidate, expected) => {
    expect(globToRegExp(pattern).test(candidate)).toBe(expected);
  });

  it('splits literal leading directories off as the search base', () => {
    expect(splitGlobBase('src/lib/**/*.ts')).toEqual({ base: 'src/lib', rest: '**/*.ts' });
    expect(splitGlobBase('/etc/*.conf')).toEqual({ base: '/etc', rest: '*.conf' });
    expect(splitGlobBase('*.md')).toEqual({ base: '', rest: '*.md' });
  });
});
