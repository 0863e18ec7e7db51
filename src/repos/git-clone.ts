/**
 * The server-side clone of a github_repository resource. The token never reaches the sandbox, a
 * URL, an argument list or the clone's `.git/config`: git gets it as an `http.<url>.extraHeader`
 * through GIT_CONFIG_COUNT variables of its own environment (readable only by the server's user
 * and root), and the checkout keeps the token-free URL as `origin`. A preflight request tells the
 * reference's failure kinds apart (401, 403, 404) before git runs; git then connects only to the
 * address the preflight checked (git-destination.ts), follows no redirects and speaks only http(s).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import type { RepositoryCheckout } from '../api/schemas/session-resources.ts';
import { curlResolveEntry, RefusedGitHostError, resolveGitDestination, type GitDestination } from './git-destination.ts';

/** The reference's repository error kinds (session.error `error.type`). */
export type RepositoryErrorType = 'repository_authentication_error' | 'repository_forbidden_error' | 'repository_not_found_error' | 'repository_checkout_error' | 'repository_clone_error';

export class RepositoryCloneError extends Error {
  constructor(readonly type: RepositoryErrorType, message: string) {
    super(message);
    this.name = 'RepositoryCloneError';
  }
}

export interface CloneRequest {
  url: string;
  token?: string;
  checkout: RepositoryCheckout | null;
  /** A directory that does not exist yet; the checkout is created there. */
  destination: string;
  allowedPrivateHosts: readonly string[];
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

function authorization(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/** The URL git clones (and records as the checkout's `origin`) for a resource's `url`. */
export function cloneUrl(url: string): string {
  return new URL(url.replace(/\/+$/, '')).href;
}

/** Clones `request.url` at its checkout into `request.destination`; RepositoryCloneError on failure. */
export async function cloneRepository(request: CloneRequest): Promise<void> {
  const url = new URL(cloneUrl(request.url));
  const scrub = (text: string) => (request.token ? text.replaceAll(request.token, '***') : text);
  let destination: GitDestination;
  try {
    destination = await resolveGitDestination(url, request.allowedPrivateHosts);
  } catch (err) {
    throw new RepositoryCloneError('repository_clone_error', err instanceof RefusedGitHostError ? err.message : `cannot resolve ${url.hostname}: ${(err as Error).message}`);
  }
  await preflight(url, destination, request.token, scrub);
  const git = new GitRunner({ url, destination, token: request.token, timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS, scrub });
  const branch = request.checkout?.type === 'branch' ? [`--branch=${request.checkout.name}`] : [];
  const cloned = await git.run(['clone', '--quiet', '--no-recurse-submodules', ...branch, '--', url.href, request.destination]);
  if (cloned.code !== 0) {
    if (/Remote branch .* not found/i.test(cloned.stderr)) throw new RepositoryCloneError('repository_checkout_error', `branch ${JSON.stringify((request.checkout as { name: string }).name)} does not exist in ${url.href}`);
    throw new RepositoryCloneError('repository_clone_error', `git clone of ${url.href} failed: ${lastLine(cloned.stderr)}`);
  }
  if (request.checkout?.type === 'commit') await checkoutCommit(git, request.destination, request.checkout.sha, url.href);
}

async function checkoutCommit(git: GitRunner, directory: string, sha: string, href: string): Promise<void> {
  const checkout = () => git.run(['-C', directory, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha]);
  let result = await checkout();
  if (result.code !== 0) {
    // Not reachable from the advertised refs: servers that allow it give the commit by id.
    const fetched = await git.run(['-C', directory, 'fetch', '--quiet', 'origin', sha]);
    if (fetched.code === 0) result = await checkout();
  }
  if (result.code !== 0) throw new RepositoryCloneError('repository_checkout_error', `commit ${sha} was not found in ${href}: ${lastLine(result.stderr)}`);
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  return (lines[lines.length - 1] ?? 'no output').slice(0, 500);
}

/** GET <url>/info/refs?service=git-upload-pack at the checked address: the status tells the failure kind. */
async function preflight(url: URL, destination: GitDestination, token: string | undefined, scrub: (s: string) => string): Promise<void> {
  const target = new URL(`${url.href}/info/refs?service=git-upload-pack`);
  const status = await new Promise<number>((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'GET',
      headers: { 'user-agent': 'git/oma', ...(token ? { authorization: authorization(token) } : {}) },
      lookup: (_host, options, callback) => {
        if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: destination.address, family: destination.family }]);
        else callback(null, destination.address, destination.family);
      },
      timeout: 30_000,
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 30 s')));
    request.on('error', reject);
    request.end();
  }).catch((err: Error) => {
    throw new RepositoryCloneError('repository_clone_error', `cannot reach ${url.host}: ${scrub(err.message)}`);
  });
  if (status === 200) return;
  if (status === 401) throw new RepositoryCloneError('repository_authentication_error', token ? `${url.href} refused the authorization_token (401)` : `${url.href} needs an authorization_token (401)`);
  if (status === 403) throw new RepositoryCloneError('repository_forbidden_error', `${url.href}: the authorization_token has no access to this repository (403)`);
  if (status === 404) throw new RepositoryCloneError('repository_not_found_error', `${url.href} was not found (404)`);
  throw new RepositoryCloneError('repository_clone_error', `${url.href} answered ${status} (redirects are not followed; is the URL a Git repository under GIT_BASE_URL?)`);
}

/** Runs git with a scrubbed environment carrying the auth header and the pinned address. */
class GitRunner {
  constructor(private readonly options: { url: URL; destination: GitDestination; token?: string; timeoutMs: number; scrub: (s: string) => string }) {}

  private environment(): NodeJS.ProcessEnv {
    const config: [string, string][] = [
      ['http.followRedirects', 'false'],
      ['http.curloptResolve', curlResolveEntry(this.options.destination)],
      ['protocol.allow', 'never'],
      ['protocol.http.allow', 'always'],
      ['protocol.https.allow', 'always'],
      ['credential.helper', ''],
    ];
    if (this.options.token) config.push([`http.${this.options.url.href}.extraHeader`, `Authorization: ${authorization(this.options.token)}`]);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: '/nonexistent',
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_COUNT: String(config.length),
    };
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    return env;
  }

  run(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('git', args, { env: this.environment(), stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 64 * 1024) stderr += chunk;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve({ code: -1, stderr: `cannot run git: ${err.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr: this.options.scrub(stderr) });
      });
    });
  }
}
