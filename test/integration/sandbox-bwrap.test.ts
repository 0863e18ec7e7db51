import { spawnSync } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapSandboxProvider } from '../../src/sandbox/bwrap.ts';
import type { CommandSandbox } from '../../src/sandbox/shared/command-sandbox.ts';
import { createWorkdirRoot, PLANTED_SECRETS, plantSecrets, runSandboxContract, waitFor } from '../contract/sandbox.contract.ts';

const probeRoot = await createWorkdirRoot('oma-bwrap-probe');
const probe = new BwrapSandboxProvider({ workdirRoot: probeRoot });
const unavailable = await probe.check().then(
  () => undefined,
  (error: Error) => error.message,
);
await rm(path.dirname(probeRoot), { recursive: true, force: true });
if (unavailable) console.warn(`Skipping the bwrap sandbox suite: bwrap cannot run here. ${unavailable}`);

describe.skipIf(unavailable !== undefined)('bwrap sandbox', () => {
  runSandboxContract('bwrap', (workdirRoot) => new BwrapSandboxProvider({ workdirRoot }));
  // The same behaviour with user-mode networking: its helper must not change kills, caps or cleanup.
  runSandboxContract('bwrap-networked', (workdirRoot) => new BwrapSandboxProvider({ workdirRoot }), { networking: { type: 'unrestricted' } });

  describe('isolation', () => {
    const limits = { processes: 64, fileSizeBytes: 1024 * 1024 };
    let base: string;
    let dataDir: string;
    let provider: BwrapSandboxProvider;
    let server: net.Server;
    let connections = 0;
    let sandboxUid = -1;

    beforeAll(async () => {
      plantSecrets();
      base = path.dirname(await createWorkdirRoot('oma-bwrap-isolation'));
      dataDir = path.join(base, 'data');
      await mkdir(dataDir, { recursive: true });
      await writeFile(path.join(dataDir, 'oma.db'), 'SQLite format 3 fake-database-contents');
      await writeFile(path.join(dataDir, 'secret.key'), PLANTED_SECRETS.PLATFORM_ROOT_SECRET);
      provider = new BwrapSandboxProvider({ workdirRoot: path.join(dataDir, 'sandboxes'), hiddenPaths: [dataDir], limits });
      await provider.check();
      server = net.createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const sandbox = await provider.open('sess_forkbomb');
      sandboxUid = Number((await sandbox.exec('id -u')).stdout.trim());
    });

    afterAll(async () => {
      await provider?.shutdown();
      await new Promise((resolve) => server?.close(resolve));
      await rm(base, { recursive: true, force: true });
    });

    it('shows the session directory at /workspace, owned by an unprivileged uid', async () => {
      const sandbox = await provider.open('sess_layout');
      expect(sandbox.workdir).toBe('/workspace');
      const result = await sandbox.exec('pwd; id -u; touch made-here');
      const [cwd, uid] = result.stdout.trim().split('\n');
      expect(cwd).toBe('/workspace');
      expect(Number(uid)).toBeGreaterThan(0);
      expect((await stat(path.join(dataDir, 'sandboxes', 'sess_layout', 'made-here'))).uid).toBe(Number(uid));
    });

    it('cannot see the data directory, its database or its secrets', async () => {
      const sandbox = await provider.open('sess_data');
      const result = await sandbox.exec(
        `cat ${dataDir}/oma.db ${dataDir}/secret.key ../oma.db ../secret.key; ls ${base} ${dataDir} /workspace/..; ` +
          `grep -rs -- ${PLANTED_SECRETS.PLATFORM_ROOT_SECRET} /workspace /tmp /etc; ls -A / > /tmp/top; echo; cat /tmp/top`,
      );
      const topLevel = result.stdout.trim().split('\n\n').at(-1)!.split('\n');
      const allowed = ['bin', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'proc', 'sbin', 'tmp', 'usr', 'workspace'];
      expect(topLevel.filter((entry) => !allowed.includes(entry))).toEqual([]);
      expect(result.stdout).not.toContain('fake-database-contents');
      expect(result.stdout).not.toContain(PLANTED_SECRETS.PLATFORM_ROOT_SECRET);
      expect(result.stdout).not.toContain('oma.db');
      expect(result.stdout).not.toContain('sess_data');
    });

    it('leaks no server secret through any /proc/*/environ', async () => {
      const sandbox = await provider.open('sess_environ');
      const result = await sandbox.exec("for f in /proc/*/environ; do tr '\\0' '\\n' < \"$f\"; done 2>/dev/null; ls /proc | grep -c '^[0-9]'");
      for (const secret of Object.values(PLANTED_SECRETS)) expect(result.stdout).not.toContain(secret);
      expect(result.stdout).toContain('HOME=/workspace');
    });

    it('cannot reach a TCP server on the host loopback', async () => {
      const port = (server.address() as net.AddressInfo).port;
      const sandbox = await provider.open('sess_network');
      const result = await sandbox.exec(`exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`, { timeoutMs: 10_000 });
      expect(result.stdout).not.toContain('connected');
      expect(result.exitCode).not.toBe(0);
      expect(connections).toBe(0);
    });

    // Repro (issue #24, finding 12): `unshare -Ur id` inside bwrap printed uid=0.
    it('cannot create nested user namespaces or mount, and threads still work', async () => {
      const sandbox = await provider.open('sess_userns');
      const result = await sandbox.exec('unshare -Ur id; echo "unshare=$?"; unshare -U true; echo "plain=$?"; mount -t tmpfs none /tmp 2>/dev/null; echo "mount=$?"; python3 -c "import threading; t = threading.Thread(target=print, args=(\'thread-ok\',)); t.start(); t.join()" 2>/dev/null || echo thread-ok');
      expect(result.stdout).not.toContain('uid=0');
      expect(result.stdout).toMatch(/plain=[1-9]/);
      expect(result.stdout).toMatch(/mount=[1-9]/);
      expect(result.stdout).toContain('thread-ok');
    });

    it('cannot write outside /workspace and /tmp', async () => {
      const sandbox = await provider.open('sess_readonly');
      const result = await sandbox.exec('touch /usr/evil; echo x >> /etc/passwd; touch /evil; touch /tmp/fine && echo tmp-ok');
      expect(result.stderr).toMatch(/Read-only file system|Permission denied/);
      expect(result.stdout).toBe('tmp-ok\n');
      expect(spawnSync('test', ['-e', '/usr/evil']).status).toBe(1);
    });

    it('contains a fork bomb to its own process limit', async () => {
      const sandbox = await provider.open('sess_forkbomb');
      expect((await sandbox.exec('ulimit -u')).stdout).toBe(`${limits.processes}\n`);
      // The bomb must outlive its first wave: the command stays alive 3 s while the bomb hits the limit.
      const bomb = await sandbox.exec(':(){ :|:& };:; sleep 3', { timeoutMs: 8_000 });
      expect(bomb.stderr).toContain('Resource temporarily unavailable');
      expect(spawnSync('true').status).toBe(0);
      // Every process of the uid is gone but the sandbox started ahead for the next call, if any
      // (shared/prestart.ts: a fresh bwrap and its bash, waiting; none of the bomb).
      await waitFor(async () => {
        await (sandbox as CommandSandbox).settled();
        const waiting = new Set((sandbox as CommandSandbox).prestartedPids());
        expect(waiting.size).toBeLessThanOrEqual(2);
        const left = spawnSync('pgrep', ['-U', String(sandboxUid)]).stdout.toString().split('\n').filter(Boolean).map(Number);
        return left.every((pid) => waiting.has(pid));
      }, 10_000, 'the bomb to be gone');
      expect((await sandbox.exec('echo survived')).stdout).toBe('survived\n');
    });

    it('stops a runaway write at the file size limit', async () => {
      const sandbox = await provider.open('sess_bigfile');
      const result = await sandbox.exec('head -c 50M /dev/zero > big.bin');
      expect(result.stderr).toContain('File size limit exceeded');
      expect((await stat(path.join(dataDir, 'sandboxes', 'sess_bigfile', 'big.bin'))).size).toBeLessThanOrEqual(limits.fileSizeBytes);
    });

  });
});
