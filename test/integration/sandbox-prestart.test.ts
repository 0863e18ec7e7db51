/**
 * Launches started ahead of a call (src/sandbox/shared/prestart.ts), on both local providers: the
 * call really runs in the waiting launch, each launch serves one call, a launch that dies is
 * replaced, and the properties of a fresh launch hold through it (timeout and kill of the whole
 * tree, per-call variables, stdin, the output cap, stop; on bwrap: a network:false call never gets
 * the network, new mounts discard what waits).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapSandboxProvider } from '../../src/sandbox/bwrap.ts';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/sandbox.ts';
import type { CommandSandbox } from '../../src/sandbox/shared/command-sandbox.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';
import { createWorkdirRoot, uniqueSleep, waitFor } from '../contract/sandbox.contract.ts';
import { BWRAP_UNAVAILABLE } from '../support/sandbox-providers.ts';

/** What both providers' sandboxes offer for this test (the subprocess one wraps a CommandSandbox). */
type Prestarting = Sandbox & Pick<CommandSandbox, 'settled' | 'prestartedPids'>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function running(marker: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', marker]).toString().trim() !== '';
  } catch {
    return false; // pgrep exits 1 when nothing matches
  }
}

/** Runs one call so that the next launch is started, waits for it, and returns its pids. */
async function warm(sandbox: Prestarting): Promise<number[]> {
  expect((await sandbox.exec('true')).exitCode).toBe(0);
  await sandbox.settled();
  const pids = sandbox.prestartedPids();
  expect(pids.length).toBeGreaterThan(0);
  return pids;
}

const PROVIDERS: [string, (workdirRoot: string) => SandboxProvider, boolean][] = [
  ['subprocess', (workdirRoot) => new SubprocessSandboxProvider({ workdirRoot }), true],
  ['bwrap', (workdirRoot) => new BwrapSandboxProvider({ workdirRoot }), BWRAP_UNAVAILABLE === undefined],
];

describe.each(PROVIDERS)('prestarted launches (%s)', (name, create, available) => {
  let workdirRoot: string;
  let provider: SandboxProvider;
  let counter = 0;
  const open = async () => (await provider.open(`sess_prestart_${++counter}`)) as Prestarting;

  beforeAll(async () => {
    if (!available) return;
    workdirRoot = await createWorkdirRoot(`oma-prestart-${name}`);
    provider = create(workdirRoot);
    await provider.check();
  });

  afterAll(async () => {
    await provider?.shutdown();
    if (workdirRoot) await rm(path.dirname(workdirRoot), { recursive: true, force: true });
  });

  it.skipIf(!available)('runs a call in the launch that waited, and uses each launch for one call only', async () => {
    const sandbox = await open();
    const first = await warm(sandbox);
    const result = await sandbox.exec('echo "$$ $0 $#"');
    // Subprocess: $$ is the waiting bash; bwrap: the namespace init, as in a fresh launch.
    expect(result.stdout).toBe(name === 'subprocess' ? `${first[0]} bash 0\n` : '1 /bin/bash 0\n');
    await waitFor(() => first.every((pid) => !alive(pid)), 10_000, 'the used launch to be gone');
    await sandbox.settled();
    const second = sandbox.prestartedPids();
    expect(second.length).toBeGreaterThan(0);
    expect(second.some((pid) => first.includes(pid))).toBe(false);
  }, 30_000);

  it.skipIf(!available)('replaces a waiting launch that died', async () => {
    const sandbox = await open();
    for (const pid of await warm(sandbox)) process.kill(pid, 'SIGKILL');
    const result = await sandbox.exec('echo ok');
    expect(result).toMatchObject({ stdout: 'ok\n', exitCode: 0, stderr: '' });
    await sandbox.settled();
    expect(sandbox.prestartedPids().length).toBeGreaterThan(0);
    expect((await sandbox.shell('echo again')).stdout).toBe('again\n');
  }, 30_000);

  it.skipIf(!available)('kills the whole tree at the timeout, a child that left the session included', async () => {
    const sandbox = await open();
    await warm(sandbox);
    const escaped = uniqueSleep();
    const result = await sandbox.exec(`setsid sleep ${escaped} & sleep ${uniqueSleep()}`, { timeoutMs: 1_000 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    await waitFor(() => !running(`sleep ${escaped}`), 10_000, 'the setsid child to be killed');
  }, 30_000);

  it.skipIf(!available)('gives a call its own variables, stdin and output cap, and the next call none of them', async () => {
    const sandbox = await open();
    await warm(sandbox);
    const first = await sandbox.exec('cat; echo "$FOO|$HOME"', { stdin: 'in\n', env: { FOO: "x 'y'\nz" } });
    expect(first.stdout).toBe(`in\nx 'y'\nz|${sandbox.workdir}\n`);
    await sandbox.settled();
    expect((await sandbox.exec('echo "${FOO-unset}"; cat')).stdout).toBe('unset\n');
    await sandbox.settled();
    const capped = await sandbox.exec('head -c 5000 /dev/zero', { maxOutputBytes: 100 });
    expect(capped.stdout.length).toBe(100);
    expect(capped.truncatedBytes).toBe(4_900);
  }, 30_000);

  it.skipIf(!available)('starts fresh when a call sets a variable bash reads at startup', async () => {
    const sandbox = await open();
    await warm(sandbox);
    await sandbox.writeFile('startup.sh', 'echo sourced\n');
    await sandbox.settled();
    const result = await sandbox.exec('echo ran', { env: { BASH_ENV: `${sandbox.workdir}/startup.sh` } });
    expect(result.stdout).toBe('sourced\nran\n');
  }, 30_000);

  it.skipIf(!available)('kills the waiting launches on stop and stays usable', async () => {
    const sandbox = await open();
    const pids = await warm(sandbox);
    await sandbox.stop();
    await waitFor(() => pids.every((pid) => !alive(pid)), 10_000, 'the waiting launch to be killed');
    expect(sandbox.prestartedPids()).toEqual([]);
    expect((await sandbox.exec('echo after')).stdout).toBe('after\n');
  }, 30_000);
});

describe.skipIf(BWRAP_UNAVAILABLE !== undefined)('prestarted bwrap launches and the session state', () => {
  let workdirRoot: string;
  let provider: BwrapSandboxProvider;

  beforeAll(async () => {
    workdirRoot = await createWorkdirRoot('oma-prestart-bwrap-state');
    provider = new BwrapSandboxProvider({ workdirRoot });
    await provider.check();
  });

  afterAll(async () => {
    await provider?.shutdown();
    if (workdirRoot) await rm(path.dirname(workdirRoot), { recursive: true, force: true });
  });

  it.skipIf(process.getuid?.() !== 0)('never gives a network:false call the network, in a session whose commands have it', async () => {
    const sandbox = (await provider.open('sess_prestart_net', { networking: { type: 'unrestricted' } })) as CommandSandbox;
    const probe = 'grep -c tap0 /proc/net/route; true';
    for (let round = 0; round < 3; round++) {
      await sandbox.settled();
      expect((await sandbox.exec(probe)).stdout).toBe('2\n');
      await sandbox.settled();
      const internal = await sandbox.runBash(['-c', probe], { operation: 'test', network: false });
      expect(internal.stdout.toString()).toBe('0\n');
    }
  }, 60_000);

  it('keeps the waiting launches for the same mounts, and discards them when a mount or its source changes', async () => {
    const sandbox = (await provider.open('sess_prestart_mounts')) as CommandSandbox;
    const source = path.join(path.dirname(workdirRoot), 'mount-source');
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'a.txt'), 'one\n');
    const mounts = [{ hostPath: source, sandboxPath: '/mnt/data', readOnly: true }];
    await sandbox.applyMounts!(mounts);
    expect((await sandbox.exec('cat /mnt/data/a.txt')).stdout).toBe('one\n');
    await sandbox.settled();
    const kept = sandbox.prestartedPids();
    expect(kept.length).toBeGreaterThan(0);
    // The harness reapplies the same mounts each turn: what waits stays, and shows the source live.
    await sandbox.applyMounts!(mounts);
    expect(sandbox.prestartedPids()).toEqual(kept);
    await writeFile(path.join(source, 'a.txt'), 'two\n');
    expect((await sandbox.exec('cat /mnt/data/a.txt')).stdout).toBe('two\n');
    // The source replaced at its path: the launch started before would show the old directory.
    await sandbox.settled();
    const stale = sandbox.prestartedPids();
    expect(stale.length).toBeGreaterThan(0);
    await rm(source, { recursive: true });
    await mkdir(source);
    await writeFile(path.join(source, 'a.txt'), 'three\n');
    await sandbox.applyMounts!(mounts);
    await waitFor(() => stale.every((pid) => !alive(pid)), 10_000, 'the waiting launch to be killed');
    expect((await sandbox.exec('cat /mnt/data/a.txt')).stdout).toBe('three\n');
    await sandbox.settled();
    const before = sandbox.prestartedPids();
    await sandbox.applyMounts!([]);
    await waitFor(() => before.every((pid) => !alive(pid)), 10_000, 'the waiting launch to be killed');
    expect((await sandbox.exec('ls /mnt/data 2>&1; echo after')).stdout).toMatch(/No such file or directory\nafter\n$/);
  }, 60_000);
});
