/**
 * The mount list every provider works from: the memory shorthand turned into mounts under
 * /mnt/memory, then `options.mounts`, checked (absolute, normalised, distinct, not a system
 * directory) and sorted parents first, so a bind below another mount is made after it.
 */
import path from 'node:path';
import { MEMORY_SANDBOX_ROOT, SANDBOX_MOUNT_VARIABLES, SandboxError, type SandboxMount, type SandboxOpenOptions } from '../sandbox.ts';

/** Sandbox paths a mount may not be at or below: the system the sandbox runs on. */
const SYSTEM_ROOTS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/proc', '/dev', '/sys'];

export function isAtOrBelow(candidate: string, root: string): boolean {
  return candidate === root || candidate.startsWith(root === '/' ? '/' : `${root}/`);
}

/**
 * Why a client-chosen mount path (a `file` resource's `mount_path`) cannot be used, or undefined:
 * system directories, the workdir itself, and the trees the server mounts (memory, skills, outputs)
 * or their parents.
 */
export function reservedMountPathReason(sandboxPath: string): string | undefined {
  if (SYSTEM_ROOTS.some((root) => isAtOrBelow(sandboxPath, root)) || sandboxPath === '/tmp') return 'it is a system directory of the sandbox';
  for (const root of [MEMORY_SANDBOX_ROOT, '/workspace/skills', '/mnt/session/outputs']) {
    if (isAtOrBelow(sandboxPath, root) || isAtOrBelow(root, sandboxPath)) return `${root} is where the server mounts ${root === MEMORY_SANDBOX_ROOT ? 'memory stores' : root.endsWith('skills') ? 'skills' : "the agent's outputs"}`;
  }
  return undefined;
}

/** The session's mounts from open options. Throws SandboxError (operation "open") for a bad sandbox path. */
export function allMounts(provider: string, sessionId: string, options: Pick<SandboxOpenOptions, 'memory' | 'mounts'>): SandboxMount[] {
  const memory = options.memory;
  const mounts = [
    ...(memory?.mounts.map((m) => ({ hostPath: path.join(memory.hostRoot, m.name), sandboxPath: `${MEMORY_SANDBOX_ROOT}/${m.name}`, readOnly: m.readOnly })) ?? []),
    ...(options.mounts ?? []),
  ];
  const seen = new Set<string>();
  for (const mount of mounts) {
    const fail = (why: string) => new SandboxError({ provider, operation: 'open', sandboxId: sessionId, message: `Cannot mount ${mount.sandboxPath}: ${why}` });
    if (!path.posix.isAbsolute(mount.sandboxPath) || path.posix.normalize(mount.sandboxPath) !== mount.sandboxPath || mount.sandboxPath.endsWith('/')) throw fail('the sandbox path must be absolute and normalised');
    if (SYSTEM_ROOTS.some((root) => isAtOrBelow(mount.sandboxPath, root)) || mount.sandboxPath === '/' || mount.sandboxPath === '/tmp' || mount.sandboxPath === '/workspace') throw fail('it is a system directory of the sandbox');
    if (!path.isAbsolute(mount.hostPath)) throw fail(`the host path ${mount.hostPath} is not absolute`);
    if (seen.has(mount.sandboxPath)) throw fail('two mounts have this path');
    seen.add(mount.sandboxPath);
  }
  return mounts.sort((a, b) => depth(a.sandboxPath) - depth(b.sandboxPath) || (a.sandboxPath < b.sandboxPath ? -1 : 1));
}

function depth(p: string): number {
  return p.split('/').length;
}

/** The innermost mount holding `sandboxPath` (absolute), if any. */
export function mountHolding(mounts: readonly SandboxMount[], sandboxPath: string): SandboxMount | undefined {
  let best: SandboxMount | undefined;
  for (const mount of mounts) if (isAtOrBelow(sandboxPath, mount.sandboxPath) && (!best || mount.sandboxPath.length > best.sandboxPath.length)) best = mount;
  return best;
}

/** The documented variables for these mounts, each root shown as `seen(root)`. */
export function mountVariables(mounts: readonly SandboxMount[], seen: (root: string) => string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { root, variable } of SANDBOX_MOUNT_VARIABLES) {
    if (mounts.some((m) => isAtOrBelow(m.sandboxPath, root) || isAtOrBelow(root, m.sandboxPath))) env[variable] = seen(root);
  }
  return env;
}
