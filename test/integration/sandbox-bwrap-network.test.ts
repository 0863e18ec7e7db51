/**
 * Networking of the bwrap sandbox. Without outbound networking a sandbox has only its own
 * loopback. With it (an `unrestricted` environment) it gets slirp4netns's tap0 and a default route,
 * but neither the host's loopback (through its own 127.0.0.1 or the gateway 10.0.2.2) nor the
 * host's own addresses. This machine has no internet, so "outbound works" is shown by the route,
 * the interface and the gateway answering ARP; the host's servers stay unreachable while the
 * test process itself can reach them.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BwrapSandboxProvider } from '../../src/sandbox/bwrap.ts';
import { SandboxError, type SandboxNetworking } from '../../src/sandbox/sandbox.ts';
import { createWorkdirRoot, PLANTED_SECRETS, plantSecrets, uniqueSleep, waitFor } from '../contract/sandbox.contract.ts';
import { BWRAP_UNAVAILABLE } from '../support/sandbox-providers.ts';

const UNRESTRICTED: SandboxNetworking = { type: 'unrestricted' };
const LIMITED_WITH_HOSTS: SandboxNetworking = { type: 'limited', allowed_hosts: ['example.com', '*.pypi.org'], allow_package_managers: true, allow_mcp_servers: true };
const LIMITED_EMPTY: SandboxNetworking = { type: 'limited', allowed_hosts: [], allow_package_managers: false, allow_mcp_servers: false };
const GATEWAY = '10.0.2.2';
/** A documentation address (TEST-NET-3): somewhere outside, never a host of ours. */
const OUTSIDE = '203.0.113.1';

/** The host's own non-loopback IPv4 addresses. */
const HOST_ADDRESSES = Object.values(os.networkInterfaces())
  .flatMap((list) => list ?? [])
  .filter((address) => address.family === 'IPv4' && !address.internal)
  .map((address) => address.address);

/** A real HTTP server on the host that counts every TCP connection it accepts. */
interface HostServer {
  address: string;
  port: number;
  connections: number;
  close(): Promise<void>;
}

async function startHostServer(address: string): Promise<HostServer> {
  const server = http.createServer((_request, response) => response.end('host secret\n'));
  const state: HostServer = {
    address,
    port: 0,
    connections: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}

/** Shell that tries each `host/port` with a 3 s bound and prints "CONNECTED host/port" on success. */
function connectScript(targets: string[]): string {
  return targets
    .map((target) => `(timeout 3 bash -c 'exec 3<>/dev/tcp/${target} && echo CONNECTED ${target}') 2>&1 || echo "FAILED ${target}"`)
    .join('\n');
}

/** Pids of this test process's direct children running `name` (other test files have their own). */
async function childProcessesNamed(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (match && match[1] === name && Number(match[2]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

/** Interface names listed in /proc/net/dev output. */
function interfaces(procNetDev: string): string[] {
  return procNetDev
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]!.trim())
    .filter(Boolean);
}

describe.skipIf(BWRAP_UNAVAILABLE !== undefined)('bwrap sandbox networking', () => {
  const isRoot = process.getuid?.() === 0;
  let workdirRoot: string;
  let provider: BwrapSandboxProvider;
  let servers: HostServer[];
  let counter = 0;
  const open = (networking?: SandboxNetworking) => provider.open(`sess_net_${++counter}`, { networking });
  const totalConnections = () => servers.reduce((sum, server) => sum + server.connections, 0);

  beforeAll(async () => {
    plantSecrets();
    workdirRoot = await createWorkdirRoot('oma-bwrap-network');
    provider = new BwrapSandboxProvider({ workdirRoot });
    servers = await Promise.all(['127.0.0.1', ...HOST_ADDRESSES].map(startHostServer));
  });

  afterAll(async () => {
    await provider?.shutdown();
    await Promise.all((servers ?? []).map((server) => server.close()));
    if (workdirRoot) await rm(path.dirname(workdirRoot), { recursive: true, force: true });
  });

  it('the host servers of these tests are reachable from the host itself', async () => {
    for (const server of servers) {
      const response = await fetch(`http://${server.address}:${server.port}/`);
      expect(await response.text()).toBe('host secret\n');
    }
    expect(totalConnections()).toBe(servers.length);
    for (const server of servers) server.connections = 0;
  });

  describe.each([
    ['no networking', undefined],
    ['limited networking with no hosts', LIMITED_EMPTY],
    ['limited networking with allowed hosts but no vault proxy (none)', LIMITED_WITH_HOSTS],
  ])('%s', (_label, networking) => {
    it('has only a loopback interface and no route', async () => {
      const sandbox = await open(networking);
      const result = await sandbox.exec('cat /proc/net/dev; echo ===; tail -n +2 /proc/net/route');
      const [dev, routes] = result.stdout.split('===\n');
      expect(interfaces(dev!)).toEqual(['lo']);
      expect(routes).toBe('');
    });

    it('cannot reach the host loopback, the host addresses or anything outside', async () => {
      const sandbox = await open(networking);
      const targets = [...servers.map((server) => `${server.address}/${server.port}`), ...servers.map((server) => `${GATEWAY}/${server.port}`), `${OUTSIDE}/80`];
      const result = await sandbox.exec(connectScript(targets), { timeoutMs: 60_000 });
      expect(result.stdout).not.toContain('CONNECTED');
      for (const target of targets) expect(result.stdout).toContain(`FAILED ${target}`);
      expect(result.stdout).toContain('Network is unreachable');
      expect(totalConnections()).toBe(0);
    });
  });

  describe.skipIf(!isRoot)('unrestricted networking', () => {
    it('passes the boot check without warnings', async () => {
      expect(await provider.check()).toEqual([]);
    });

    it('has a tap0 interface with a default route through the slirp gateway, and slirp DNS', async () => {
      const sandbox = await open(UNRESTRICTED);
      // Any connection attempt makes the sandbox resolve the gateway's MAC: slirp4netns answers.
      const result = await sandbox.exec(
        `(timeout 3 bash -c 'exec 3<>/dev/tcp/${OUTSIDE}/80') >/dev/null 2>&1; cat /proc/net/dev; echo ===; cat /proc/net/route; echo ===; cat /etc/resolv.conf; echo ===; cat /proc/net/arp`,
        { timeoutMs: 30_000 },
      );
      const [dev, routes, resolv, arp] = result.stdout.split('===\n');
      expect(interfaces(dev!).sort()).toEqual(['lo', 'tap0']);
      // Destination 0.0.0.0, gateway 10.0.2.2 (little-endian hex), flags UP|GATEWAY.
      expect(routes).toMatch(/^tap0\t00000000\t0202000A\t0003\t/m);
      expect(resolv).toBe('nameserver 10.0.2.3\n');
      expect(arp).toMatch(/^10\.0\.2\.2\s+0x1\s+0x2\s+([0-9a-f]{2}:){5}[0-9a-f]{2}\s+\S+\s+tap0$/m);
    });

    it('cannot reach the host loopback through its own loopback or the gateway, nor the host addresses', async () => {
      const sandbox = await open(UNRESTRICTED);
      const targets = [
        ...servers.map((server) => `127.0.0.1/${server.port}`),
        ...servers.map((server) => `${GATEWAY}/${server.port}`),
        ...servers.filter((server) => server.address !== '127.0.0.1').map((server) => `${server.address}/${server.port}`),
      ];
      const result = await sandbox.exec(connectScript(targets), { timeoutMs: 60_000 });
      expect(result.stdout).not.toContain('CONNECTED');
      for (const target of targets) expect(result.stdout).toContain(`FAILED ${target}`);
      expect(totalConnections()).toBe(0);
    });

    it('cannot remove the routes that block the host addresses', async () => {
      const sandbox = await open(UNRESTRICTED);
      const result = await sandbox.exec('ip route del prohibit 169.254.0.0/16; ip route flush table main; ip -o route show', { timeoutMs: 30_000 });
      expect(result.stderr).toContain('Operation not permitted');
      expect(result.stdout).toContain('prohibit 169.254.0.0/16');
      for (const address of HOST_ADDRESSES) expect(result.stdout).toContain(`prohibit ${address}`);
      expect(result.stdout).toContain(`default via ${GATEWAY} dev tap0`);
    });

    it('leaks no server secret through any environment it can read', async () => {
      const sandbox = await open(UNRESTRICTED);
      const result = await sandbox.exec("env; for f in /proc/*/environ; do tr '\\0' '\\n' < \"$f\"; done 2>/dev/null");
      for (const secret of Object.values(PLANTED_SECRETS)) expect(result.stdout).not.toContain(secret);
      expect(result.stdout).toContain('HOME=/workspace');
    });

    it('starts the command only once the network is attached, without leaving it the gate descriptor', async () => {
      const sandbox = await open(UNRESTRICTED);
      // Regression: attaching while bwrap was still setting up the namespace made its loopback
      // setup fail ("Failed RTM_NEWADDR") or the namespace vanish before the routes were added.
      for (let round = 0; round < 20; round++) {
        const result = await sandbox.exec('grep -c tap0 /proc/net/route; ls /proc/self/fd');
        expect(result.stderr).toBe('');
        expect(result.stdout.split('\n')[0]).toBe('2');
        expect(result.stdout.split('\n').slice(1)).not.toContain('4');
      }
    });

    it('gives file operations no network and leaves no slirp4netns behind a finished or killed command', async () => {
      const sandbox = await open(UNRESTRICTED);
      await sandbox.writeFile('probe.txt', 'x');
      expect((await sandbox.readFile('probe.txt')).toString()).toBe('x');
      expect(await childProcessesNamed('slirp4netns')).toEqual([]);
      expect((await sandbox.exec('grep -c tap0 /proc/net/route')).stdout).toBe('2\n');
      expect(await childProcessesNamed('slirp4netns')).toEqual([]);

      const controller = new AbortController();
      const marker = uniqueSleep();
      const running = sandbox.exec(`sleep ${marker}`, { signal: controller.signal });
      await waitFor(async () => (await childProcessesNamed('slirp4netns')).length === 1, 10_000, 'slirp4netns to start');
      controller.abort();
      expect((await running).aborted).toBe(true);
      expect(await childProcessesNamed('slirp4netns')).toEqual([]);

      const stopped = sandbox.shell(`sleep ${uniqueSleep()}`);
      await waitFor(async () => (await childProcessesNamed('slirp4netns')).length === 1, 10_000, 'slirp4netns to start');
      await provider.shutdown();
      expect((await stopped).signal).toBe('SIGKILL');
      expect(await childProcessesNamed('slirp4netns')).toEqual([]);
    });
  });

  describe('a missing networking helper', () => {
    let broken: BwrapSandboxProvider;
    let brokenRoot: string;

    beforeAll(async () => {
      brokenRoot = await createWorkdirRoot('oma-bwrap-no-slirp');
      broken = new BwrapSandboxProvider({ workdirRoot: brokenRoot, networkHelpers: { slirp4netns: '/nonexistent/slirp4netns' } });
    });

    afterAll(async () => {
      await broken?.shutdown();
      if (brokenRoot) await rm(path.dirname(brokenRoot), { recursive: true, force: true });
    });

    it('is a boot warning, not a boot failure', async () => {
      const warnings = await broken.check();
      expect(warnings).toHaveLength(1);
      if (isRoot) expect(warnings[0]).toMatch(/needs \/nonexistent\/slirp4netns, which is not installed.*apt-get install slirp4netns/);
      else expect(warnings[0]).toContain('needs the server to run as root');
    });

    it('refuses to open a networked sandbox with a clear error, and sandboxes without network still work', async () => {
      const networked = broken.open('sess_needs_network', { networking: UNRESTRICTED });
      await expect(networked).rejects.toThrow(SandboxError);
      await expect(networked).rejects.toThrow(/environment allows outbound network traffic, but the bwrap sandbox cannot provide it/);
      if (isRoot) await expect(networked).rejects.toThrow(/\/nonexistent\/slirp4netns/);
      const offline = await broken.open('sess_offline', { networking: LIMITED_EMPTY });
      expect((await offline.exec('echo works')).stdout).toBe('works\n');
    });
  });

  describe.skipIf(!isRoot)('a networking helper that fails', () => {
    let failing: BwrapSandboxProvider;
    let failingRoot: string;

    beforeAll(async () => {
      failingRoot = await createWorkdirRoot('oma-bwrap-bad-slirp');
      // /bin/false exists, so the provider accepts it, and exits at once without a word.
      failing = new BwrapSandboxProvider({ workdirRoot: failingRoot, networkHelpers: { slirp4netns: '/bin/false' } });
    });

    afterAll(async () => {
      await failing?.shutdown();
      if (failingRoot) await rm(path.dirname(failingRoot), { recursive: true, force: true });
    });

    it('is a boot warning, and a networked command fails with a clear error without having run', async () => {
      const warnings = await failing.check();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/slirp4netns exited \(code 1\).*get an error from every command/);
      const sandbox = await failing.open('sess_bad_network', { networking: UNRESTRICTED });
      const run = sandbox.exec('touch ran.txt');
      await expect(run).rejects.toThrow(SandboxError);
      await expect(run).rejects.toThrow(/Could not give the sandbox its network .*slirp4netns exited/);
      expect(existsSync(path.join(failingRoot, 'sess_bad_network', 'ran.txt'))).toBe(false);
      expect(await childProcessesNamed('false')).toEqual([]);
    });
  });
});
