/**
 * The vault proxy as a bwrap sandbox's only way out. Instead of user-mode networking, the sandbox's
 * network namespace keeps only its loopback, and a forwarder started from the host inside that
 * namespace (`nsenter --net`) listens on 127.0.0.1:PROXY_PORT there and relays each connection to the
 * proxy's unix socket on the host (unix sockets are reached through the file system, not the network
 * namespace). The sandbox can reach nothing but the proxy, which applies its checks to every request.
 * The forwarder exits with its stdin pipe, so it dies with the command and with the server.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { SandboxError } from './sandbox.ts';
import { DEFAULT_SANDBOX_PATH } from './shared/environment.ts';
import type { RunningProcess } from './shared/process-set.ts';
import { killQuietly } from './shared/run-process.ts';

/** The proxy's port inside the sandbox's network namespace. */
export const SANDBOX_PROXY_PORT = 3128;
/** Where the proxy CA is copied inside the sandbox. */
export const SANDBOX_CA_PATH = '/etc/oma-vault-ca.pem';

const READY_TIMEOUT_MS = 15_000;

const FORWARDER = `
const net = require('net');
const [port, socketPath] = process.argv.slice(1);
process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
net.createServer((client) => {
  const upstream = net.connect(socketPath);
  client.pipe(upstream).on('error', () => client.destroy());
  upstream.pipe(client).on('error', () => upstream.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

export async function attachProxyForwarder(options: { nsenter: string; namespacePid: number; socketPath: string; sessionId: string }): Promise<RunningProcess> {
  const args = [`--net=/proc/${options.namespacePid}/ns/net`, process.execPath, '-e', FORWARDER, String(SANDBOX_PROXY_PORT), options.socketPath];
  const child = spawn(options.nsenter, args, { env: { PATH: DEFAULT_SANDBOX_PATH }, cwd: '/', detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4096)));
  const done = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  const running: RunningProcess = {
    done,
    kill() {
      (child.stdin as Writable).destroy();
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) killQuietly(-child.pid);
    },
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the proxy forwarder was not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      (child.stdout as Readable).once('data', () => (clearTimeout(timer), resolve()));
      child.once('error', (err) => (clearTimeout(timer), reject(err)));
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the proxy forwarder exited (code ${code}): ${stderr.trim() || 'no message'}`))));
    });
    return running;
  } catch (cause) {
    running.kill();
    await done;
    throw new SandboxError({
      provider: 'bwrap',
      operation: 'network',
      sandboxId: options.sessionId,
      message: `Could not connect the sandbox to the vault egress proxy: ${(cause as Error).message}`,
      cause,
    });
  }
}
