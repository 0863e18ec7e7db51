/**
 * Puts a session's github_repository resources into its sandbox directory at first sandbox use:
 * each repository not yet cloned is cloned by the server (git-clone.ts) into a staging directory
 * the sandbox cannot see (`<SANDBOX_WORKDIR>/.repo-clones`), given to the session directory's owner
 * and moved to its mount path (`/workspace/<path>` is `<session directory>/<path>`). A failure is
 * reported for a `session.error` (always `retrying`: the session proceeds without the repository)
 * and the clone is tried again the next time a turn opens the sandbox; a success is recorded
 * (`session_repositories.cloned_at`) and never repeated, so the agent's changes are kept.
 *
 * Like session-directory.ts, nothing below the session directory is followed: each parent of the
 * mount path is checked with lstat (a symlink or file there is refused), and the mount path itself
 * must not exist yet (an empty directory is replaced).
 */
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, lchown } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { SessionTable } from '../store/schema.ts';
import type { SecretBox } from '../vault/secret-box.ts';
import type { GithubRepositoryResource } from '../api/schemas/session-resources.ts';
import type { SandboxMount } from '../sandbox/sandbox.ts';
import { parseJson } from '../store/json.ts';
import { chownTree, sessionDirectoryPath } from '../sandbox/shared/session-directory.ts';
import { repositoryTokenContext, REPOSITORY_MOUNT_ROOT } from '../sessions/session-repositories.ts';
import { cloneRepository, cloneUrl, RepositoryCloneError, type RepositoryErrorType } from './git-clone.ts';

/** One repository that could not be put in place: the payload of a `session.error`. */
export interface RepositoryFailure {
  type: RepositoryErrorType;
  message: string;
  repository_url: string;
}

export interface SessionRepositoryCheckoutsOptions {
  store: Store;
  secretBox: SecretBox;
  /** SANDBOX_WORKDIR: session directories are `<workdirRoot>/<session id>`. */
  workdirRoot: string;
  allowedPrivateHosts: readonly string[];
  logger: Logger;
  /** SANDBOX_PROVIDER: under subprocess the workdir is the host directory, so checkouts need mounts to appear at /workspace/…. */
  provider: string;
}

export function repositoryResourcesOf(resources: string): GithubRepositoryResource[] {
  return parseJson<{ type: string }[]>(resources, 'sessions.resources').filter((r): r is GithubRepositoryResource => r.type === 'github_repository');
}

export class SessionRepositoryCheckouts {
  constructor(private readonly options: SessionRepositoryCheckoutsOptions) {}

  /**
   * Under bwrap /workspace is the session directory itself: no mount (bwrap would need the host path
   * to exist before the clone). Under subprocess the workdir is the host session directory, so the
   * file tools see `/workspace/<path>` only through a mount (bash reaches the checkout relative to
   * the workdir); a remote provider copies the mount's host directory to the machine.
   */
  mounts(session: Pick<SessionTable, 'id' | 'resources'>): SandboxMount[] {
    if (this.options.provider === 'bwrap') return [];
    const directory = sessionDirectoryPath(this.options.workdirRoot, session.id);
    return repositoryResourcesOf(session.resources).map((r) => ({ hostPath: path.join(directory, r.mount_path.slice(REPOSITORY_MOUNT_ROOT.length + 1)), sandboxPath: r.mount_path, readOnly: false }));
  }

  /** Clones what is still missing; returns the failures (empty when everything is in place) and how many were placed now. */
  async prepare(session: Pick<SessionTable, 'id' | 'tenant_id' | 'resources'>): Promise<{ failures: RepositoryFailure[]; placed: number }> {
    const resources = repositoryResourcesOf(session.resources);
    let placed = 0;
    if (resources.length === 0) return { failures: [], placed };
    const rows = new Map((await this.options.store.sessionRepositories.listForSession(session.tenant_id, session.id)).map((r) => [r.id, r]));
    const failures: RepositoryFailure[] = [];
    for (const resource of resources) {
      const row = rows.get(resource.id);
      if (!row || row.cloned_at !== null) continue;
      try {
        const token = row.authorization_token === null ? undefined : this.options.secretBox.open(repositoryTokenContext(session.tenant_id, resource.id), row.authorization_token);
        // Placed by an attempt that stopped before recording it (killed between the move and
        // markCloned): record it now instead of refusing the occupied mount path at every turn.
        if (!(await holdsCheckoutOf(sessionDirectoryPath(this.options.workdirRoot, session.id), resource))) await this.place(session.id, resource, token);
        await this.options.store.sessionRepositories.markCloned(session.tenant_id, resource.id, Date.now());
        placed++;
      } catch (err) {
        const failure: RepositoryFailure = err instanceof RepositoryCloneError
          ? { type: err.type, message: err.message, repository_url: resource.url }
          : { type: 'repository_clone_error', message: `could not place ${resource.url} at ${resource.mount_path}: ${(err as Error).message}`, repository_url: resource.url };
        this.options.logger.warn({ sessionId: session.id, resourceId: resource.id, errorType: failure.type }, `repository checkout failed: ${failure.message}`);
        failures.push(failure);
      }
    }
    return { failures, placed };
  }

  private async place(sessionId: string, resource: GithubRepositoryResource, token: string | undefined): Promise<void> {
    const sessionDirectory = sessionDirectoryPath(this.options.workdirRoot, sessionId);
    // Local providers made it when the sandbox opened (with its owner); a remote one has none on the host.
    await mkdir(sessionDirectory, { recursive: true, mode: 0o700 });
    const owner = await lstat(sessionDirectory);
    const stagingRoot = path.join(path.resolve(this.options.workdirRoot), '.repo-clones');
    await mkdir(stagingRoot, { recursive: true, mode: 0o700 });
    const staging = await mkdtemp(path.join(stagingRoot, `${sessionId}-`));
    try {
      const checkout = path.join(staging, 'checkout');
      await cloneRepository({ url: resource.url, token, checkout: resource.checkout, destination: checkout, allowedPrivateHosts: this.options.allowedPrivateHosts });
      await chownTree(checkout, { uid: owner.uid, gid: owner.gid });
      const target = await prepareTarget(sessionDirectory, resource.mount_path, { uid: owner.uid, gid: owner.gid });
      await rename(checkout, target).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV') throw err;
        await cp(checkout, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
        await chownTree(target, { uid: owner.uid, gid: owner.gid });
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}

/**
 * Whether the mount path already holds a checkout whose origin is this resource's URL (what
 * `place` leaves there). Read without following links and without running git in a directory the
 * agent owns (its .git/config could name programs for git to run); the agent can fake this only
 * for its own workspace, where it could as well have changed the checkout.
 */
async function holdsCheckoutOf(sessionDirectory: string, resource: GithubRepositoryResource): Promise<boolean> {
  let current = sessionDirectory;
  for (const part of [...resource.mount_path.slice(REPOSITORY_MOUNT_ROOT.length + 1).split('/'), '.git']) {
    current = path.join(current, part);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats || stats.isSymbolicLink() || !stats.isDirectory()) return false;
  }
  const configPath = path.join(current, 'config');
  const stats = await lstat(configPath).catch(() => undefined);
  if (!stats?.isFile() || stats.size > 64 * 1024) return false;
  return originUrl(await readFile(configPath, 'utf8')) === cloneUrl(resource.url);
}

/** `remote.origin.url` of a git config file's text. */
function originUrl(config: string): string | undefined {
  let inOrigin = false;
  for (const line of config.split('\n')) {
    const section = /^\s*\[\s*([^\]]*?)\s*\]/.exec(line);
    if (section) inOrigin = section[1] === 'remote "origin"';
    const entry = inOrigin ? /^\s*url\s*=\s*(.*?)\s*$/.exec(line) : null;
    if (entry) return entry[1];
  }
  return undefined;
}

/**
 * The host path of `mountPath` (under /workspace) in the session directory, with its parents made
 * as real directories owned by `owner`. Refuses a symlink or file on the way, and an existing
 * non-empty target; an empty directory there is removed so the checkout can take its place.
 */
async function prepareTarget(sessionDirectory: string, mountPath: string, owner: { uid: number; gid: number }): Promise<string> {
  const parts = mountPath.slice(REPOSITORY_MOUNT_ROOT.length + 1).split('/');
  let current = sessionDirectory;
  for (const part of parts.slice(0, -1)) {
    current = path.join(current, part);
    const stats = await lstat(current).catch(ignoreMissing);
    if (!stats) {
      await mkdir(current, { mode: 0o755 });
      await lchown(current, owner.uid, owner.gid);
    } else if (stats.isSymbolicLink() || !stats.isDirectory()) {
      throw new Error(`${parentPath(mountPath, current, sessionDirectory)} is not a directory in the workspace`);
    }
  }
  const target = path.join(current, parts[parts.length - 1]!);
  const stats = await lstat(target).catch(ignoreMissing);
  if (stats) {
    if (stats.isSymbolicLink() || !stats.isDirectory() || (await readdir(target)).length > 0) throw new Error(`${mountPath} already exists in the workspace`);
    await rmdir(target);
  }
  return target;
}

function parentPath(mountPath: string, hostPath: string, sessionDirectory: string): string {
  return `${REPOSITORY_MOUNT_ROOT}${hostPath.slice(sessionDirectory.length)}` || mountPath;
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
