/**
 * A loopback Git host for github_repository tests: bare repositories served over smart HTTP by the
 * real `git http-backend` (CGI) behind node:http, with an auth check like GitHub's (Basic with the
 * token as password, or Bearer). Repositories under `private/` need the token; `forbidden/` ones
 * answer 403 to any credentials; anything else unknown is 404 (from http-backend).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestGitServer {
  /** GIT_BASE_URL for the server under test, e.g. http://127.0.0.1:41234/git */
  baseUrl: string;
  /** Commit ids of the fixture repositories. */
  commits: { mainFirst: string; mainHead: string; featureHead: string; privateHead: string; unreferenced: string };
  /** Every request: path and whether (and how) it was authorized. */
  requests: { path: string; auth: 'none' | 'basic' | 'bearer' | 'wrong' }[];
  close(): Promise<void>;
}

const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.test', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.test', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: '/nonexistent' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
}

/** Builds acme/hello (main: two commits, feature: one more off the first) and private/secret. */
function buildRepositories(root: string): TestGitServer['commits'] {
  const work = path.join(root, 'work');
  execFileSync('mkdir', ['-p', work]);
  git(work, 'init', '--quiet', '--initial-branch=main');
  execFileSync('sh', ['-c', 'echo "hello v1" > README.md'], { cwd: work });
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'first');
  const mainFirst = git(work, 'rev-parse', 'HEAD');
  git(work, 'checkout', '--quiet', '-b', 'feature');
  execFileSync('sh', ['-c', 'echo "feature work" > FEATURE.md'], { cwd: work });
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'feature');
  const featureHead = git(work, 'rev-parse', 'HEAD');
  git(work, 'checkout', '--quiet', 'main');
  execFileSync('sh', ['-c', 'echo "hello v2" > README.md'], { cwd: work });
  git(work, 'commit', '--quiet', '-am', 'second');
  const mainHead = git(work, 'rev-parse', 'HEAD');
  for (const name of ['acme/hello.git', 'forbidden/hello.git']) git(root, 'clone', '--quiet', '--bare', work, name);
  git(work, 'checkout', '--quiet', '--orphan', 'secret');
  git(work, 'rm', '--quiet', '-rf', '.');
  execFileSync('sh', ['-c', 'echo "private stuff" > SECRET.md'], { cwd: work });
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'private');
  const privateHead = git(work, 'rev-parse', 'HEAD');
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', 'private/secret.git');
  git(work, 'push', '--quiet', path.join(root, 'private/secret.git'), 'secret:main');
  const unreferenced = 'f'.repeat(40);
  return { mainFirst, mainHead, featureHead, privateHead, unreferenced };
}

function authOf(req: IncomingMessage, token: string): TestGitServer['requests'][number]['auth'] {
  const header = req.headers.authorization;
  if (!header) return 'none';
  const [scheme, value = ''] = header.split(' ');
  if (scheme?.toLowerCase() === 'bearer') return value === token ? 'bearer' : 'wrong';
  if (scheme?.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':') === token ? 'basic' : 'wrong';
  return 'wrong';
}

/** Runs git http-backend for one request and relays its CGI answer. */
function serveCgi(root: string, prefix: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  const child = spawn('git', ['http-backend'], {
    env: {
      ...GIT_ENV,
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname.slice(prefix.length)),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_USER: 'test',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  child.on('close', () => res.end());
}

export async function startTestGitServer(options: { token: string }): Promise<TestGitServer> {
  const root = await mkdtemp(path.join(tmpdir(), 'oma-git-'));
  const commits = buildRepositories(root);
  const prefix = '/git';
  const requests: TestGitServer['requests'] = [];
  const server = createServer((req, res) => {
    const pathname = new URL(req.url!, 'http://x').pathname;
    const auth = authOf(req, options.token);
    requests.push({ path: pathname, auth });
    const repo = pathname.slice(prefix.length + 1);
    if (!pathname.startsWith(`${prefix}/`)) return void res.writeHead(404).end();
    if (repo.startsWith('forbidden/') && auth !== 'none') return void res.writeHead(403).end('forbidden');
    if ((repo.startsWith('private/') || repo.startsWith('forbidden/')) && (auth === 'none' || auth === 'wrong')) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end('authentication required');
    }
    serveCgi(root, prefix, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${prefix}`,
    commits,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
