/**
 * Issue #24, findings 6 and 11, from their reproductions: the root server followed a symlink the
 * agent planted at `/workspace/.oma` and ran `mkdir -p` through it at the next sandbox creation; a
 * `setsid` child outlived its command and the session's deletion under subprocess.
 */
import { mkdtemp, mkdir, readFile, readdir, rm, stat, symlink, lstat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSessionDirectory } from '../../src/sandbox/shared/session-directory.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';
import { DescendantTracker, findOwnCgroup } from '../../src/sandbox/shared/descendants.ts';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { waitFor } from '../support/wait-for.ts';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('session directories refuse planted symlinks', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'oma-symlink-'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('replaces a symlinked .oma (and .oma/tmp) with real directories and touches nothing behind them', async () => {
    const workdirRoot = path.join(base, 'sandboxes');
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'precious'), 'keep');
    const directory = await ensureSessionDirectory({ workdirRoot, sessionId: 'sesn_a' });
    await rm(path.join(directory, '.oma'), { recursive: true });
    await symlink(outside, path.join(directory, '.oma'));
    const owner = process.getuid?.() === 0 ? { uid: 54321, gid: 54321 } : undefined;
    await ensureSessionDirectory({ workdirRoot, sessionId: 'sesn_a', owner });
    expect((await lstat(path.join(directory, '.oma'))).isDirectory()).toBe(true);
    expect(await readdir(outside)).toEqual(['precious']);
    if (owner) expect((await stat(path.join(outside, 'precious'))).uid).toBe(process.getuid!());
    // One level down too: .oma is real, its tmp is a planted link.
    await rm(path.join(directory, '.oma', 'tmp'), { recursive: true });
    await symlink(outside, path.join(directory, '.oma', 'tmp'));
    await ensureSessionDirectory({ workdirRoot, sessionId: 'sesn_a', owner });
    expect((await lstat(path.join(directory, '.oma', 'tmp'))).isDirectory()).toBe(true);
    expect(await readdir(outside)).toEqual(['precious']);
  });

  it('a sandbox opened after the agent planted the link does not write through it', async () => {
    const workdirRoot = path.join(base, 'provider');
    const outside = path.join(base, 'outside-2');
    await mkdir(outside);
    const provider = new SubprocessSandboxProvider({ workdirRoot });
    const sandbox = await provider.open('sesn_plant');
    const planted = await sandbox.exec(`rm -rf .oma && ln -s ${outside} .oma && echo planted`);
    expect(planted.stdout.trim()).toBe('planted');
    await provider.stop('sesn_plant');
    // The next sandbox creation for the session: a restarted server's provider.
    const restarted = new SubprocessSandboxProvider({ workdirRoot });
    const again = await restarted.open('sesn_plant');
    expect((await again.exec('echo ok')).stdout.trim()).toBe('ok');
    expect(await readdir(outside)).toEqual([]);
    expect((await lstat(path.join(workdirRoot, 'sesn_plant', '.oma'))).isSymbolicLink()).toBe(false);
    await restarted.destroy('sesn_plant');
  });
});

const mechanisms = new DescendantTracker().mechanism === 'cgroup' ? [true, false] : [false];

describe.each(mechanisms)('subprocess kills every descendant (cgroups: %s)', (useCgroups) => {
  let workdirRoot: string;
  let provider: SubprocessSandboxProvider;
  beforeAll(async () => {
    workdirRoot = await mkdtemp(path.join(os.tmpdir(), 'oma-descendants-'));
    provider = new SubprocessSandboxProvider({ workdirRoot, useCgroups });
  });
  afterAll(() => rm(workdirRoot, { recursive: true, force: true }));

  const startDetached = (pidFile: string) =>
    `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 300' </dev/null >/dev/null 2>&1 & while [ ! -s ${pidFile} ]; do sleep 0.05; done`;

  it('a setsid child dies when its command ends', async () => {
    const sandbox = await provider.open('sesn_setsid');
    const result = await sandbox.exec(`${startDetached('child.pid')}; ps -o sid= -p $(cat child.pid)`);
    expect(result.exitCode).toBe(0);
    const pid = Number(await readFile(path.join(workdirRoot, 'sesn_setsid', 'child.pid'), 'utf8'));
    // It did leave the command's session (the reproduction): its session id is its own pid.
    expect(Number(result.stdout.trim())).toBe(pid);
    await waitFor(() => !isAlive(pid), { message: `setsid child ${pid} to be killed` });
  });

  it('a setsid child of a running command dies when the session is deleted', async () => {
    const sandbox = await provider.open('sesn_delete');
    const running = sandbox.exec(`${startDetached('held.pid')}; sleep 300`, { timeoutMs: 120_000 });
    const pidFile = path.join(workdirRoot, 'sesn_delete', 'held.pid');
    const pid = await waitFor(async () => Number(await readFile(pidFile, 'utf8').catch(() => '0')) || undefined, { message: 'the child pid' });
    expect(isAlive(pid)).toBe(true);
    await provider.destroy('sesn_delete');
    await running.catch(() => undefined);
    await waitFor(() => !isAlive(pid), { message: `setsid child ${pid} to be killed at delete` });
  });
});

/** The pid of a process that has exited (a server that is gone). */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe.runIf(findOwnCgroup() !== undefined)('subprocess cgroups do not pile up', () => {
  const own = findOwnCgroup()!;
  const ours = () => readdirSync(own).filter((name) => name.startsWith(`oma-sandbox-${process.pid}-`));

  it("removes a gone server's emptied groups at the next start, and keeps one that still holds a process", async () => {
    const empty = path.join(own, `oma-sandbox-${deadPid()}-0a0b`);
    await mkdir(path.join(empty, 'cmd-1'), { recursive: true });
    await mkdir(path.join(empty, 'cmd-2'));
    const busy = path.join(own, `oma-sandbox-${deadPid()}`);
    await mkdir(path.join(busy, 'cmd-1'), { recursive: true });
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await writeFile(path.join(busy, 'cmd-1', 'cgroup.procs'), String(sleeper.pid));
      new DescendantTracker();
      expect(existsSync(empty)).toBe(false);
      expect(existsSync(path.join(busy, 'cmd-1'))).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
      await waitFor(() => !isAlive(sleeper.pid!) || undefined, { message: 'the sleeper to exit' }).catch(() => undefined);
    }
    await waitFor(async () => {
      await new DescendantTracker().dispose();
      return !existsSync(busy) || undefined;
    }, { message: 'the emptied group to be removed at a later start' });
  });

  it('removes its own groups at shutdown', async () => {
    const before = new Set(ours());
    const workdirRoot = await mkdtemp(path.join(os.tmpdir(), 'oma-cgroup-dispose-'));
    try {
      const provider = new SubprocessSandboxProvider({ workdirRoot, prestart: false });
      const created = ours().filter((name) => !before.has(name));
      expect(created).toHaveLength(1);
      const sandbox = await provider.open('sesn_cgroups');
      expect((await sandbox.exec('echo ok')).stdout.trim()).toBe('ok');
      await provider.shutdown();
      expect(existsSync(path.join(own, created[0]!))).toBe(false);
    } finally {
      await rm(workdirRoot, { recursive: true, force: true });
    }
  });
});
