/**
 * User-mode networking for a bwrap command whose session may reach the outside. bwrap creates the
 * network namespace and waits (`--block-fd`) while, from the host, `slirp4netns` attaches a tap
 * device with a default route and `ip` (through `nsenter`) adds `prohibit` routes; only then does
 * the command start. Security boundaries:
 * - `--disable-host-loopback`: the gateway 10.0.2.2 does not lead to the host's 127.0.0.1, so the
 *   server's (and its database's) loopback ports stay unreachable.
 * - The host's own non-loopback IPv4 addresses (a server listening on 0.0.0.0) and link-local
 *   169.254.0.0/16 (cloud metadata endpoints) are prohibited routes. The sandbox has no capability
 *   in the namespace, so it cannot remove them. Other machines, the local network included, are
 *   reachable: this is "unrestricted" outbound traffic. No IPv6.
 * - slirp4netns runs as root (it must enter a namespace owned by bwrap's nested user namespace),
 *   confined by its own `--enable-sandbox` and `--enable-seccomp`; it handles the sandbox's packets
 *   but not its files. It dies with the command, and with the server (its exit fd closes).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { resolveExecutable } from './bwrap-host.ts';
import { SandboxError, type SandboxNetworking } from './sandbox.ts';
import { DEFAULT_SANDBOX_PATH } from './shared/environment.ts';
import type { RunningProcess } from './shared/process-set.ts';
import { killQuietly, runProcess } from './shared/run-process.ts';

/** Host binaries the network needs. */
export interface NetworkBinaries {
  slirp4netns: string;
  nsenter: string;
  ip: string;
}

/** slirp4netns's fixed virtual network: the sandbox is 10.0.2.100, the gateway 10.0.2.2, DNS 10.0.2.3. */
export const SLIRP_CIDR_PREFIX = '10.0.2.';
export const SLIRP_DNS = '10.0.2.3';
/** Interface name inside the sandbox. */
export const SANDBOX_INTERFACE = 'tap0';

const ATTACH_TIMEOUT_MS = 15_000;
const STDERR_LIMIT = 4096;

/** Routes the sandbox must never use: the host's own addresses and link-local (metadata) space. */
export function createProhibitedRoutes(): string[] {
  const routes = new Set<string>(['169.254.0.0/16']);
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      // Addresses inside slirp's own network are never routed to the host; a prohibit route there
      // could shadow the gateway or the DNS address.
      if (address.family === 'IPv4' && !address.internal && !address.address.startsWith(SLIRP_CIDR_PREFIX)) {
        routes.add(`${address.address}/32`);
      }
    }
  }
  return [...routes];
}

/**
 * Attaches outbound networking to the network namespace of `namespacePid` and returns the running
 * slirp4netns. Throws SandboxError when it cannot (the caller's command then never starts).
 */
export async function attachNetwork(options: { binaries: NetworkBinaries; namespacePid: number; sessionId: string }): Promise<RunningProcess> {
  const netns = `/proc/${options.namespacePid}/ns/net`;
  const slirp = startSlirp(options.binaries.slirp4netns, netns);
  try {
    await slirp.ready;
    await addProhibitedRoutes(options.binaries, netns);
    return slirp;
  } catch (cause) {
    slirp.kill();
    await slirp.done;
    throw new SandboxError({
      provider: 'bwrap',
      operation: 'network',
      sandboxId: options.sessionId,
      message: `Could not give the sandbox its network (the environment allows outbound traffic): ${(cause as Error).message}`,
      cause,
    });
  }
}

function startSlirp(file: string, netns: string): RunningProcess & { ready: Promise<void> } {
  const args = [
    '--configure', '--mtu=65520', '--disable-host-loopback', '--enable-sandbox', '--enable-seccomp',
    '--ready-fd=3', '--exit-fd=4', '--netns-type=path', netns, SANDBOX_INTERFACE,
  ];
  // fd 4 is the exit fd: slirp4netns quits when its other end closes, also when the server dies.
  const child = spawn(file, args, { env: { PATH: DEFAULT_SANDBOX_PATH }, cwd: '/', detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_LIMIT)));
  const exitFd = child.stdio[4] as Readable;
  exitFd.on('error', () => undefined);
  // 'error' (it could not be spawned) may come without 'close'.
  const done = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`slirp4netns was not ready after ${ATTACH_TIMEOUT_MS} ms`)), ATTACH_TIMEOUT_MS);
    (child.stdio[3] as Readable).once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`slirp4netns exited (${signal ?? `code ${code}`}): ${stderr.trim() || 'no message'}`));
    });
  });
  return {
    ready,
    done,
    kill() {
      exitFd.destroy();
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) killQuietly(-child.pid);
    },
  };
}

async function addProhibitedRoutes(binaries: NetworkBinaries, netns: string): Promise<void> {
  const script = createProhibitedRoutes().map((route) => `route add prohibit ${route}\n`).join('');
  const result = await runProcess(
    { file: binaries.nsenter, args: [`--net=${netns}`, binaries.ip, '-batch', '-'], env: { PATH: DEFAULT_SANDBOX_PATH }, cwd: '/' },
    { timeoutMs: ATTACH_TIMEOUT_MS, maxOutputBytes: STDERR_LIMIT, stdin: script },
  );
  if (result.exitCode !== 0) {
    throw new Error(`could not block the host's addresses with ${binaries.ip}: ${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}`);
  }
}

/** What the provider knows about networking on this host: ready to use, or why not. */
export type NetworkSetup =
  | { available: true; binaries: NetworkBinaries; resolvConf: string }
  | { available: false; problem: string };

export const NETWORK_INSTALL_HINT =
  'Install the Debian/Ubuntu packages "slirp4netns" and "iproute2" (apt-get install slirp4netns iproute2; nsenter comes with util-linux).';

/**
 * Whether an environment's networking gets direct user-mode networking: only `unrestricted`.
 * `limited` never does: it gets the vault proxy as its only way out when the proxy runs (the proxy
 * enforces `allowed_hosts`), and no network at all otherwise (fail closed; see docs/sandbox.md).
 * Omitted networking means no network.
 */
export function allowsOutbound(networking: SandboxNetworking | undefined): boolean {
  return networking?.type === 'unrestricted';
}

/** Finds the helpers and writes the sandbox's resolv.conf under the workdir root. */
export async function prepareNetwork(options: { workdirRoot: string; helpers: Partial<NetworkBinaries>; isRoot: boolean }): Promise<NetworkSetup> {
  if (!options.isRoot) {
    return {
      available: false,
      problem:
        "user-mode networking needs the server to run as root (slirp4netns must enter the sandbox's network namespace from the host). " +
        'Run the server as root, or give the session an environment with limited networking (no network).',
    };
  }
  const names: (keyof NetworkBinaries)[] = ['slirp4netns', 'nsenter', 'ip'];
  const found = await Promise.all(names.map((name) => resolveExecutable(options.helpers[name] ?? name)));
  const missing = names.filter((_, index) => found[index] === undefined).map((name) => options.helpers[name] ?? name);
  if (missing.length > 0) {
    return {
      available: false,
      problem: `user-mode networking needs ${missing.join(', ')}, which is not installed. ${NETWORK_INSTALL_HINT}`,
    };
  }
  const directory = path.join(options.workdirRoot, '.network');
  await mkdir(directory, { recursive: true, mode: 0o755 });
  await chmod(directory, 0o755);
  const resolvConf = path.join(directory, 'resolv.conf');
  await writeFile(resolvConf, `nameserver ${SLIRP_DNS}\n`, { mode: 0o644 });
  const [slirp4netns, nsenter, ip] = found as string[];
  return { available: true, binaries: { slirp4netns: slirp4netns!, nsenter: nsenter!, ip: ip! }, resolvConf };
}
