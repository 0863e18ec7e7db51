/**
 * Run as a child process by sandbox-inherited-fds.test.ts, with an extra inherited descriptor:
 * opens a sandbox of the provider named in argv[2] under the workdir root argv[3] and prints, as
 * JSON, the descriptors its commands see (exec and the persistent shell).
 */
import { createSandboxProvider } from '../../src/sandbox/registry.ts';

const [name, workdirRoot] = process.argv.slice(2) as [string, string];
const { provider } = createSandboxProvider({ name, workdirRoot });
await provider.check();
const sandbox = await provider.open('sesn_fdprobe');
const exec = await sandbox.exec('ls /proc/self/fd; echo still-has-stderr >&2');
const shell = await sandbox.shell('ls /proc/$$/fd');
const fds = (out: string) => out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
process.stdout.write(JSON.stringify({ exec: fds(exec.stdout), execStderr: exec.stderr, shell: fds(shell.stdout) }));
await provider.shutdown();
