import { describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../../src/sandbox/registry.ts';
import { SandboxError } from '../../src/sandbox/sandbox.ts';
import { runSandboxContract } from '../contract/sandbox.contract.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';

runSandboxContract('subprocess', (workdirRoot) => new SubprocessSandboxProvider({ workdirRoot }));

describe('createSandboxProvider', () => {
  it('builds subprocess with a no-isolation warning and names the valid providers for an unknown one', () => {
    const { provider, warnings } = createSandboxProvider({ name: 'subprocess', workdirRoot: '/tmp/oma-unused', hiddenPaths: ['/data'] });
    expect(provider.name).toBe('subprocess');
    expect(warnings.join(' ')).toContain('no isolation');
    expect(createSandboxProvider({ name: 'bwrap', workdirRoot: '/tmp/oma-unused' }).provider.name).toBe('bwrap');
    expect(() => createSandboxProvider({ name: 'docker', workdirRoot: '/tmp/oma-unused' })).toThrow(SandboxError);
    expect(() => createSandboxProvider({ name: 'docker', workdirRoot: '/tmp/oma-unused' })).toThrow(/Valid values: subprocess, bwrap, e2b/);
  });
});
