/**
 * A descriptor the server inherits from whatever started it (a supervisor's socket, an open file)
 * must not be open in sandbox commands: under bwrap it would be a way out of the sandbox, under
 * subprocess a leak. The server runs as a child with an extra descriptor (fd 9, no close-on-exec).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SANDBOX_PROVIDERS } from '../support/sandbox-providers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INHERITED_FD = 9;

function runProbe(provider: string, workdirRoot: string): Promise<{ exec: number[]; execStderr: string; shell: number[] }> {
  return new Promise((resolve, reject) => {
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
    for (let fd = 3; fd <= INHERITED_FD; fd++) stdio.push(fd === INHERITED_FD ? 'pipe' : 'ignore');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/support/fd-probe.ts'), provider, workdirRoot], { cwd: ROOT, stdio });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { exec: number[]; execStderr: string; shell: number[] }) : reject(new Error(`probe exited ${code}: ${err}`))));
  });
}

describe.each(SANDBOX_PROVIDERS)('descriptors inherited by the server (%s)', (provider) => {
  it('are closed before the command runs; stdout, stderr and the shell report pipe still work', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'oma-fds-'));
    await chmod(base, 0o711);
    try {
      const seen = await runProbe(provider, path.join(base, 'sandboxes'));
      expect(seen.exec).not.toContain(INHERITED_FD);
      expect(seen.shell).not.toContain(INHERITED_FD);
      // Only stdio (+ the report pipe for the shell, + the descriptor `ls` opens to read the directory).
      expect(seen.exec.filter((fd) => fd > 3)).toEqual([]);
      expect(seen.shell.filter((fd) => fd > 3 && fd !== 5)).toEqual([]);
      expect(seen.execStderr).toBe('still-has-stderr\n');
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  }, 60_000);
});
