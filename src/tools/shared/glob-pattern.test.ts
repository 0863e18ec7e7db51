import { describe, expect, it } from 'vitest';
import { globToRegExp, splitGlobBase } from './glob-pattern.ts';
import { isPublicAddress } from './network-guard.ts';

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

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['::1', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['2606:4700:4700::1111', true],
    ['not-an-ip', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});
