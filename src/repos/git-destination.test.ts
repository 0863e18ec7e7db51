import { describe, expect, it } from 'vitest';
import { curlResolveEntry, RefusedGitHostError, resolveGitDestination } from './git-destination.ts';

describe('git clone destinations (private-address rule)', () => {
  it('refuses loopback, private and link-local hosts unless GIT_ALLOWED_PRIVATE_HOSTS lists them', async () => {
    for (const url of ['http://127.0.0.1:9/x/y', 'https://10.1.2.3/x/y', 'http://169.254.169.254/x/y', 'http://[::1]:8080/x/y', 'http://localhost/x/y']) {
      await expect(resolveGitDestination(new URL(url), []), url).rejects.toBeInstanceOf(RefusedGitHostError);
    }
    await expect(resolveGitDestination(new URL('http://127.0.0.1:9/x/y'), ['10.0.0.1'])).rejects.toThrow(/GIT_ALLOWED_PRIVATE_HOSTS/);
    expect(await resolveGitDestination(new URL('http://127.0.0.1:9/x/y'), ['127.0.0.1'])).toEqual({ host: '127.0.0.1', port: 9, address: '127.0.0.1', family: 4 });
    expect(await resolveGitDestination(new URL('http://[::1]/x/y'), ['*'])).toMatchObject({ host: '::1', port: 80, family: 6 });
  });

  it('pins git to the checked address', () => {
    expect(curlResolveEntry({ host: 'ghe.example.com', port: 443, address: '203.0.113.9', family: 4 })).toBe('ghe.example.com:443:203.0.113.9');
    expect(curlResolveEntry({ host: 'ghe.example.com', port: 443, address: '2001:db8::1', family: 6 })).toBe('ghe.example.com:443:[2001:db8::1]');
  });
});
