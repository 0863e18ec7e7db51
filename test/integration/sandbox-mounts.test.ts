/**
 * Generalised sandbox mounts (SandboxMount) under both providers, straight on the provider: a
 * read-only file and a read-write directory at the same sandbox paths, seen by the file
 * operations and by bash through $OMA_SESSION_DIR; a read-only mount refuses writes; a sandbox
 * already open takes a new mount list on the next open.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapSandboxProvider } from '../../src/sandbox/bwrap.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';
import type { SandboxMount, SandboxProvider } from '../../src/sandbox/sandbox.ts';
import { createWorkdirRoot } from '../contract/sandbox.contract.ts';
import { SANDBOX_PROVIDERS } from '../support/sandbox-providers.ts';

describe.each(SANDBOX_PROVIDERS)('sandbox mounts (%s)', (name) => {
  let base: string;
  let provider: SandboxProvider;
  let mountsRoot: string;

  beforeAll(async () => {
    const workdirRoot = await createWorkdirRoot(`oma-mounts-${name}`);
    base = path.dirname(workdirRoot);
    provider = name === 'bwrap' ? new BwrapSandboxProvider({ workdirRoot }) : new SubprocessSandboxProvider({ workdirRoot });
    await provider.check();
    mountsRoot = path.join(base, 'mounts');
    await mkdir(mountsRoot, { recursive: true, mode: 0o711 });
    await chmod(mountsRoot, 0o711);
  });

  afterAll(async () => {
    await provider?.shutdown();
    await rm(base, { recursive: true, force: true });
  });

  async function prepare(sessionId: string): Promise<SandboxMount[]> {
    const dir = path.join(mountsRoot, sessionId);
    await mkdir(path.join(dir, 'outputs'), { recursive: true, mode: 0o711 });
    await chmod(dir, 0o711);
    await writeFile(path.join(dir, 'input.csv'), 'a,b\n1,2\n', { mode: 0o444 });
    return [
      { hostPath: path.join(dir, 'input.csv'), sandboxPath: '/mnt/session/uploads/file_1', readOnly: true },
      { hostPath: path.join(dir, 'outputs'), sandboxPath: '/mnt/session/outputs', readOnly: false },
    ];
  }

  it('shows a read-only file and a writable directory at their sandbox paths, to the file operations and to bash', async () => {
    const mounts = await prepare('sesn_mounts_a');
    const sandbox = await provider.open('sesn_mounts_a', { mounts });
    expect((await sandbox.readFile('/mnt/session/uploads/file_1')).toString()).toBe('a,b\n1,2\n');
    const shell = await sandbox.shell('cat "$OMA_SESSION_DIR/uploads/file_1" && wc -l < "$OMA_SESSION_DIR/uploads/file_1" > "$OMA_SESSION_DIR/outputs/lines.txt"');
    expect(shell.stdout).toBe('a,b\n1,2\n');
    expect(shell.exitCode).toBe(0);
    expect((await readFile(path.join(mounts[1]!.hostPath, 'lines.txt'), 'utf8')).trim()).toBe('2');
    await sandbox.writeFile('/mnt/session/outputs/report.md', '# report\n');
    expect(await readFile(path.join(mounts[1]!.hostPath, 'report.md'), 'utf8')).toBe('# report\n');
    expect((await sandbox.list('/mnt/session/outputs')).map((e) => e.name)).toEqual(['lines.txt', 'report.md']);
    await expect(sandbox.writeFile('/mnt/session/uploads/file_1', 'changed')).rejects.toThrow(/read-only|Read-only|Could not write/);
    expect(await readFile(mounts[0]!.hostPath, 'utf8')).toBe('a,b\n1,2\n');
    if (name === 'bwrap') {
      const attempt = await sandbox.exec('echo x > /mnt/session/uploads/file_1');
      expect(attempt.exitCode).not.toBe(0);
      expect(attempt.stderr).toMatch(/Read-only file system/);
      expect((await sandbox.exec('echo "$OMA_SESSION_DIR"')).stdout.trim()).toBe('/mnt/session');
    }
  });

  it('applies a new mount list to a sandbox that is already open', async () => {
    const mounts = await prepare('sesn_mounts_b');
    const sandbox = await provider.open('sesn_mounts_b', { mounts: mounts.slice(1) });
    await expect(sandbox.readFile('/mnt/session/uploads/file_1')).rejects.toThrow(/does not exist|Could not read/);
    const again = await provider.open('sesn_mounts_b', { mounts });
    expect(again).toBe(sandbox);
    expect((await again.readFile('/mnt/session/uploads/file_1')).toString()).toBe('a,b\n1,2\n');
    expect((await again.shell('cat "$OMA_SESSION_DIR/uploads/file_1"')).stdout).toBe('a,b\n1,2\n');
  });

  it('binds a mount inside the working directory (a skill under /workspace/skills) and exports its variable', async () => {
    const dir = path.join(mountsRoot, 'sesn_mounts_d', 'skill');
    await mkdir(dir, { recursive: true });
    await chmod(path.dirname(dir), 0o711);
    await writeFile(path.join(dir, 'SKILL.md'), '---\nname: demo\n---\n');
    const sandbox = await provider.open('sesn_mounts_d', { mounts: [{ hostPath: dir, sandboxPath: '/workspace/skills/demo', readOnly: true }] });
    expect((await sandbox.readFile('/workspace/skills/demo/SKILL.md')).toString()).toContain('name: demo');
    expect((await sandbox.shell('cat "$OMA_SKILLS_DIR/demo/SKILL.md"')).stdout).toContain('name: demo');
    await expect(sandbox.writeFile('/workspace/skills/demo/SKILL.md', 'x')).rejects.toThrow(/read-only|Read-only|Could not write/);
    // The rest of the working directory stays writable.
    await sandbox.writeFile('notes.txt', 'mine');
    expect((await sandbox.readFile('notes.txt')).toString()).toBe('mine');
  });

  it('refuses a mount at a system path', async () => {
    const mounts = await prepare('sesn_mounts_c');
    await expect(provider.open('sesn_mounts_c', { mounts: [{ ...mounts[0]!, sandboxPath: '/usr/bin/evil' }] })).rejects.toThrow(/system directory/);
  });
});
