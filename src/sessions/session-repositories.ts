/**
 * github_repository resources of a session (reference §2.6): resolved at session create into the
 * resource object (stored in the session's `resources`, never with the token) and a row of
 * `session_repositories` holding the sealed `authorization_token`. The clone itself happens on the
 * server at the session's first sandbox use (src/repos/).
 *
 * Decision: `url` must lie under GIT_BASE_URL (`<base>/<owner>/<repo>[.git]`), so a tenant cannot
 * point the server's clone at an arbitrary host; and `mount_path` must lie under /workspace, the
 * session's own directory (the clone is placed there, writable by the agent).
 */
import { InvalidRequestError } from '../errors.ts';
import { newId } from '../lib/ids.ts';
import { toIso } from '../lib/time.ts';
import type { Store } from '../store/store.ts';
import type { SessionRepositoryTable } from '../store/schema.ts';
import type { SecretBox } from '../vault/secret-box.ts';
import { sealContext, sealedColumn } from '../vault/sealed-columns.ts';
import type { GithubRepositoryResource, GithubRepositoryResourceParam } from '../api/schemas/session-resources.ts';

/** Where repositories go by default (`/workspace/<repo>`), and the only root they may be mounted under. */
export const REPOSITORY_MOUNT_ROOT = '/workspace';
export const MAX_REPOSITORIES_PER_SESSION = 20;

const TOKEN_COLUMN = sealedColumn('session_repositories', 'authorization_token');
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** The seal context of one resource's token. */
export function repositoryTokenContext(tenantId: string, resourceId: string) {
  return sealContext(TOKEN_COLUMN, tenantId, resourceId);
}

/** The repository's name (last path segment without `.git`), or an InvalidRequestError naming `at`. */
export function parseRepositoryUrl(url: string, baseUrl: string, at: string): { name: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidRequestError(`${at}.url: ${JSON.stringify(url)} is not a URL; expected ${baseUrl}/<owner>/<repo>`);
  }
  if (parsed.username || parsed.password) throw new InvalidRequestError(`${at}.url: must not carry credentials; pass the token as authorization_token`);
  if (parsed.search || parsed.hash) throw new InvalidRequestError(`${at}.url: must not have a query or fragment`);
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(`${basePath}/`)) {
    throw new InvalidRequestError(`${at}.url: repositories are cloned from ${baseUrl} (the server's GIT_BASE_URL); expected ${baseUrl}/<owner>/<repo>`);
  }
  const segments = parsed.pathname.slice(basePath.length + 1).replace(/\/+$/, '').split('/');
  if (segments.length < 2 || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new InvalidRequestError(`${at}.url: expected ${baseUrl}/<owner>/<repo> (letters, digits, ".", "_" and "-" in each part)`);
  }
  const name = segments[segments.length - 1]!.replace(/\.git$/, '');
  if (name === '' || name === '.' || name === '..') throw new InvalidRequestError(`${at}.url: the repository name is empty`);
  return { name };
}

function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * Resource objects and token rows for repository params. `existing` are the session's other
 * resources (mount paths must not overlap a repository's).
 */
export function resolveRepositoryResources(
  params: { param: GithubRepositoryResourceParam; at: string }[],
  existing: { mount_path?: string | null }[],
  context: { tenantId: string; sessionId: string; baseUrl: string; secretBox: SecretBox; now: number },
): { resources: GithubRepositoryResource[]; rows: SessionRepositoryTable[] } {
  if (params.length > MAX_REPOSITORIES_PER_SESSION) throw new InvalidRequestError(`resources: at most ${MAX_REPOSITORIES_PER_SESSION} github_repository resources per session (got ${params.length})`);
  const taken = existing.map((r) => r.mount_path).filter((p): p is string => typeof p === 'string');
  const resources: GithubRepositoryResource[] = [];
  const rows: SessionRepositoryTable[] = [];
  const iso = toIso(context.now);
  for (const { param, at } of params) {
    const { name } = parseRepositoryUrl(param.url, context.baseUrl, at);
    const mountPath = param.mount_path ?? `${REPOSITORY_MOUNT_ROOT}/${name}`;
    if (!mountPath.startsWith(`${REPOSITORY_MOUNT_ROOT}/`)) throw new InvalidRequestError(`${at}.mount_path: repositories are checked out under ${REPOSITORY_MOUNT_ROOT}/ (the session's working directory); got ${mountPath}`);
    const top = mountPath.split('/')[2];
    if (top === '.oma' || top === 'skills') throw new InvalidRequestError(`${at}.mount_path: ${REPOSITORY_MOUNT_ROOT}/${top} is reserved (${top === 'skills' ? "the agent's skills" : "the sandbox's own state"}); pick another path`);
    const clash = taken.find((p) => overlaps(p, mountPath));
    if (clash) throw new InvalidRequestError(`${at}.mount_path: ${mountPath} overlaps ${clash}, used by another resource of the session`);
    taken.push(mountPath);
    const id = newId('sesrsc');
    resources.push({ id, type: 'github_repository', url: param.url, mount_path: mountPath, checkout: param.checkout ?? null, created_at: iso, updated_at: iso });
    const token = param.authorization_token === undefined ? null : context.secretBox.seal(repositoryTokenContext(context.tenantId, id), param.authorization_token);
    rows.push({ id, tenant_id: context.tenantId, session_id: context.sessionId, authorization_token: token, cloned_at: null, created_at: context.now, updated_at: context.now });
  }
  return { resources, rows };
}

/** Seals and stores a new token for a repository resource (R4: rotation). */
export async function rotateRepositoryToken(store: Store, secretBox: SecretBox, at: { tenantId: string; resourceId: string; token: string; now: number }): Promise<void> {
  await store.sessionRepositories.setToken(at.tenantId, at.resourceId, secretBox.seal(repositoryTokenContext(at.tenantId, at.resourceId), at.token), at.now);
}
