/**
 * The behaviour every sandbox provider must have. Each provider's test file calls
 * `runSandboxContract` with a factory; the suite runs the same cases against all of them.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError, type Sandbox, type SandboxOpenOptions, type SandboxProvider } from '../../src/sandbox/sandbox.ts';

/** Builds a provider whose sessions live under `workdirRoot`. */
export type ProviderFactory = (workdirRoot: string) => SandboxProvider;

/** Secrets planted in the test process's environment; none may be visible inside a sandbox. */
export const PLANTED_SECRETS = {
  PLATFORM_ROOT_SECRET: 'oma-test-root-secret-6f1d2c',
  DATABASE_URL: 'postgres://oma:oma-test-db-password-93ab@127.0.0.1/oma',
  ANTHROPIC_API_KEY: 'sk-ant-oma-test-key-44e0b7',
};

/** Sets the planted secrets in `process.env` (before any provider is built). */
export function plantSecrets(): void {
  Object.assign(process.env, PLANTED_SECRETS);
}

/** Polls `predicate` until it holds; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, description = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Host pids whose command line contains `marker` (zombies have an empty command line and do not count). */
export async function findHostProcesses(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker) && Number(entry) !== process.pid) pids.push(Number(entry));
  }
  return pids;
}

/** A `sleep` duration unique to this run, usable as a marker in host command lines. */
export function uniqueSleep(): string {
  return `${9000 + Math.floor(Math.random() * 900)}.${Math.floor(Math.random() * 1e6)}`;
}

/** Creates a temporary workdir root that sandbox uids can traverse (mkdtemp makes it 0700). */
export async function createWorkdirRoot(prefix: string): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  await chmod(directory, 0o711);
  return path.join(directory, 'sandboxes');
}

/**
 * Runs the contract. `openOptions` are passed to every `open` (e.g. networking, so that the same
 * behaviour is checked with the provider's network helpers in the loop); `name` must be a valid
 * session id fragment.
 */
export interface ContractHooks {
  /**
   * Whether the session's sandbox holds `relativePath` (under its workdir), looked at from outside
   * the sandbox. Default: the host directory `<workdirRoot>/<sessionId>` (local providers); remote
   * providers' tests ask their fake. `undefined`: the session has no sandbox at all.
   */
  sessionFileExists?(sessionId: string, relativePath: string): Promise<boolean | undefined>;
}

export function runSandboxContract(name: string, makeProvider: ProviderFactory, openOptions: SandboxOpenOptions = {}, hooks: ContractHooks = {}): void {
  describe(`sandbox contract: ${name}`, () => {
    let workdirRoot: string;
    let provider: SandboxProvider;
    let counter = 0;
    const open = (sessionId: string): Promise<Sandbox> => provider.open(sessionId, openOptions);
    const openNew = (): Promise<Sandbox> => open(`sess_${name}_${++counter}`);

    beforeAll(async () => {
      plantSecrets();
      workdirRoot = await createWorkdirRoot(`oma-contract-${name}`);
      provider = makeProvider(workdirRoot);
      await provider.check();
    });

    afterAll(async () => {
      await provider?.shutdown();
      if (workdirRoot) await rm(path.dirname(workdirRoot), { recursive: true, force: true });
    });

    it('keeps the cwd and exported variables between shell calls', async () => {
      const sandbox = await openNew();
      const first = await sandbox.shell('mkdir -p deep/er && cd deep/er && export GREETING="hello world" && LOCAL_ONLY=1');
      expect(first.exitCode).toBe(0);
      expect(first.cwd).toBe(path.posix.join(sandbox.workdir, 'deep/er'));
      const second = await sandbox.shell('pwd; echo "$GREETING"');
      expect(second.stdout).toBe(`${path.posix.join(sandbox.workdir, 'deep/er')}\nhello world\n`);
      expect(second.cwd).toBe(path.posix.join(sandbox.workdir, 'deep/er'));
    });

    it('saves the shell state when the command fails or exits', async () => {
      const sandbox = await openNew();
      const failed = await sandbox.shell('mkdir sub && cd sub && export MARK=kept && false');
      expect(failed.exitCode).toBe(1);
      const exited = await sandbox.shell('cd .. && export OTHER=too; exit 7');
      expect(exited.exitCode).toBe(7);
      const after = await sandbox.shell('echo "$MARK $OTHER"; pwd');
      expect(after.stdout).toBe(`kept too\n${sandbox.workdir}\n`);
    });

    it('takes the shell cwd from the shell, not from output that imitates its report', async () => {
      // The cwd comes back on its own pipe as NUL-framed records; output shaped like one must not count.
      const sandbox = await openNew();
      const imitation = "printf '\\0/etc\\0'; printf '\\0/etc\\0' >&2";
      const result = await sandbox.shell(`mkdir -p real && cd real && ${imitation}`);
      expect(result.stdout).toBe('\0/etc\0');
      expect(result.cwd).toBe(`${sandbox.workdir}/real`);
      const next = await sandbox.shell(`pwd; ${imitation}; exit 3`);
      expect(next).toMatchObject({ exitCode: 3, stdout: `${sandbox.workdir}/real\n\0/etc\0`, cwd: `${sandbox.workdir}/real` });
    });

    it('keeps the previous shell state when saving it was cut short', async () => {
      // Repro note: the state is overwritten in place (no rename); a kill during the save leaves
      // that slot with the zero seq line a save starts with, and a half-written state after it.
      const sandbox = await openNew();
      await sandbox.shell('mkdir -p one/two && cd one && export LEVEL=one');
      await sandbox.shell('cd two && export LEVEL=two');
      const cut = await sandbox.exec("cd .oma && f=$(grep -l '^# 0*2$' shell-state.a shell-state.b) && printf '# %015d\\n{\\nexport LEVEL=half\\n' 0 1<> \"$f\"");
      expect(cut.exitCode).toBe(0);
      const after = await sandbox.shell('echo "$LEVEL"; pwd');
      expect(after.stdout).toBe(`one\n${sandbox.workdir}/one\n`);
      expect((await sandbox.shell('echo "$LEVEL"; pwd')).stdout).toBe(`one\n${sandbox.workdir}/one\n`);
    });

    it('reads the single state file of earlier versions', async () => {
      const sandbox = await openNew();
      await sandbox.writeFile('.oma/shell-state', "export OLD=kept\ncd -- 'old dir' 2>/dev/null\n");
      await sandbox.exec("mkdir -p 'old dir'");
      const result = await sandbox.shell('echo "$OLD"');
      expect(result).toMatchObject({ stdout: 'kept\n', cwd: `${sandbox.workdir}/old dir` });
    });

    it('forgets the shell state on restartShell', async () => {
      const sandbox = await openNew();
      await sandbox.shell('mkdir -p x && cd x && export GONE=soon');
      await sandbox.restartShell();
      const after = await sandbox.shell('echo "[$GONE]"; pwd');
      expect(after.stdout).toBe(`[]\n${sandbox.workdir}\n`);
      expect(after.cwd).toBe(sandbox.workdir);
    });

    it('passes per-call variables for that call only, over the saved state', async () => {
      const sandbox = await openNew();
      await sandbox.shell('export COLOR=red');
      const call = await sandbox.shell('echo "$COLOR $SHAPE"', { env: { COLOR: 'blue', SHAPE: 'round' } });
      expect(call.stdout).toBe('blue round\n');
      const after = await sandbox.shell('echo "$COLOR [$SHAPE]"');
      expect(after.stdout).toBe('red []\n');
    });

    it('starts every command in the workdir with HOME there, and honours cwd and stdin', async () => {
      const sandbox = await openNew();
      const result = await sandbox.exec('pwd; echo "$HOME"; cat', { stdin: 'from stdin' });
      expect(result.stdout).toBe(`${sandbox.workdir}\n${sandbox.workdir}\nfrom stdin`);
      await sandbox.exec('mkdir -p nested');
      expect((await sandbox.exec('pwd', { cwd: 'nested' })).stdout).toBe(`${sandbox.workdir}/nested\n`);
    });

    it('keeps sessions apart', async () => {
      const first = await openNew();
      const second = await openNew();
      await first.shell('echo private > note.txt && export ONLY_FIRST=1');
      const probe = await second.shell('cat note.txt; echo "[$ONLY_FIRST]"');
      expect(probe.stdout).toBe('[]\n');
      expect(probe.stderr).toContain('note.txt');
    });

    it('kills a command at its timeout', async () => {
      const sandbox = await openNew();
      const started = Date.now();
      const result = await sandbox.exec('sleep 30', { timeoutMs: 500 });
      expect(result).toMatchObject({ timedOut: true, aborted: false, exitCode: null, signal: 'SIGKILL' });
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('kills a hanging shell command at its timeout and keeps the previous cwd', async () => {
      const sandbox = await openNew();
      await sandbox.shell('mkdir -p before && cd before');
      const result = await sandbox.shell('cd / && sleep 30', { timeoutMs: 500 });
      expect(result.timedOut).toBe(true);
      expect(result.cwd).toBe(`${sandbox.workdir}/before`);
    });

    it('kills the whole process tree on abort', async () => {
      const sandbox = await openNew();
      const [child, grandchild] = [uniqueSleep(), uniqueSleep()];
      const controller = new AbortController();
      const running = sandbox.exec(`sleep ${child} & bash -c 'sleep ${grandchild}' & wait`, { signal: controller.signal });
      await waitFor(async () => (await findHostProcesses(`sleep\0${child}`)).length === 1 && (await findHostProcesses(`sleep\0${grandchild}`)).length === 1, 10_000, 'both sleeps to start');
      controller.abort();
      const result = await running;
      expect(result).toMatchObject({ aborted: true, timedOut: false, signal: 'SIGKILL' });
      await waitFor(async () => (await findHostProcesses(`sleep\0${child}`)).length === 0, 5_000, 'the child to die');
      await waitFor(async () => (await findHostProcesses(`sleep\0${grandchild}`)).length === 0, 5_000, 'the grandchild to die');
    });

    it('caps the output and counts the dropped bytes', async () => {
      const sandbox = await openNew();
      const result = await sandbox.exec("head -c 300000 /dev/zero | tr '\\0' a", { maxOutputBytes: 1000 });
      expect(result.stdout).toBe('a'.repeat(1000));
      expect(result.truncatedBytes).toBe(299_000);
      expect(result.exitCode).toBe(0);
    });

    it('does not let server secrets into the environment', async () => {
      const sandbox = await openNew();
      const result = await sandbox.exec('env; printenv');
      for (const secret of Object.values(PLANTED_SECRETS)) expect(result.stdout).not.toContain(secret);
      expect(result.stdout).not.toContain('PLATFORM_ROOT_SECRET');
      expect(result.stdout).toContain('TERM=dumb');
    });

    it('reads, writes and lists files', async () => {
      const sandbox = await openNew();
      await sandbox.writeFile('docs/a.txt', 'alpha\n');
      await sandbox.writeFile(`${sandbox.workdir}/docs/b.bin`, Buffer.from([0, 255, 1]));
      expect((await sandbox.readFile('docs/a.txt')).toString()).toBe('alpha\n');
      expect([...(await sandbox.readFile('docs/b.bin'))]).toEqual([0, 255, 1]);
      const entries = await sandbox.list('docs');
      expect(entries.map((entry) => [entry.name, entry.type, entry.size])).toEqual([['a.txt', 'file', 6], ['b.bin', 'file', 3]]);
      await expect(sandbox.readFile('docs/missing.txt')).rejects.toThrow(SandboxError);
      await expect(sandbox.readFile('docs/missing.txt')).rejects.toThrow(/does not exist/);
      await expect(sandbox.readFile('docs')).rejects.toThrow(/directory/);
    });

    it('stops running processes and stays usable', async () => {
      const sessionId = `sess_${name}_stop`;
      const sandbox = await open(sessionId);
      const marker = uniqueSleep();
      const running = sandbox.exec(`sleep ${marker}`);
      await waitFor(async () => (await findHostProcesses(`sleep\0${marker}`)).length === 1, 10_000, 'sleep to start');
      await provider.stop(sessionId);
      expect((await running).signal).toBe('SIGKILL');
      expect(await findHostProcesses(`sleep\0${marker}`)).toEqual([]);
      expect((await sandbox.exec('echo again')).stdout).toBe('again\n');
    });

    it('removes the directory on destroy and starts empty when reopened', async () => {
      const sessionId = `sess_${name}_destroy`;
      const sandbox = await open(sessionId);
      await sandbox.writeFile('keep.txt', 'x');
      const exists = hooks.sessionFileExists ?? (async (id: string, relative: string) => (existsSync(path.join(workdirRoot, id)) ? existsSync(path.join(workdirRoot, id, relative)) : undefined));
      expect(await exists(sessionId, 'keep.txt')).toBe(true);
      await provider.destroy(sessionId);
      expect(await exists(sessionId, 'keep.txt')).toBeUndefined();
      await provider.destroy(sessionId);
      const reopened = await open(sessionId);
      expect((await reopened.exec('ls')).stdout).toBe('');
    });

    it('kills the processes of every session on shutdown', async () => {
      const [first, second] = [await openNew(), await openNew()];
      const [a, b] = [uniqueSleep(), uniqueSleep()];
      const runs = [first.exec(`sleep ${a}`), second.shell(`sleep ${b}`)];
      await waitFor(async () => (await findHostProcesses(`sleep\0${a}`)).length + (await findHostProcesses(`sleep\0${b}`)).length === 2, 10_000, 'both sleeps');
      await provider.shutdown();
      const results = await Promise.all(runs);
      expect(results.map((result) => result.signal)).toEqual(['SIGKILL', 'SIGKILL']);
    });

    it('rejects session ids that could escape the workdir root', async () => {
      await expect(open('../escape')).rejects.toThrow(SandboxError);
    });
  });
}
