/**
 * github_repository session resources end to end: a loopback Git host (git http-backend behind
 * node:http, test/support/git-server.ts) serves the repositories; the server clones them at the
 * first sandbox use, at a branch and at a commit, with and without a token; the scripted agent
 * reads the checkouts. The token is sealed, never in a response, an event, a log line, a model
 * request or the sandbox (files, .git/config, /proc/<pid>/environ). Clone failures are retrying
 * session.errors, the session proceeds, and a rotated token is used by the next turn.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import type { TestServer } from '../support/server.ts';
import { backendProviderPairs, sessionHostDirectory, startSandboxTestServer } from '../support/sandbox-providers.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel, type RecordedRequest } from '../support/fake-model/index.ts';
import { listEvents, userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { startTestGitServer, type TestGitServer } from '../support/git-server.ts';

const MODEL = 'claude-sonnet-4-6';
// The sandbox-side checks grep for FRAGMENT (commands are events and model input, so they never carry the token itself).
const FRAGMENT = `repoSECRET${randomBytes(6).toString('hex')}`;
const TOKEN = `ghp_${FRAGMENT}_${randomBytes(8).toString('hex')}`;

const lastToolResult = (r: RecordedRequest) => JSON.stringify(r.body.messages.at(-1));
const errorsOf = (events: WireEvent[]) => events.filter((e) => e.type === 'session.error').map((e) => e.error as { type: string; repository_url: string; retry_status: { type: string }; message: string });

async function apiError(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError> | undefined;
  expect(err, 'the call should have failed').toBeInstanceOf(Anthropic.APIError);
  return { status: err!.status!, message: (err!.error as any).error.message };
}

describe.each(backendProviderPairs(BACKENDS))('github_repository resources ($backend, $provider)', ({ backend, provider }) => {
  let git: TestGitServer;
  let fake: FakeModel;
  let t: TestServer;
  let agentId: string;
  const seen: unknown[] = [];
  /** Every response body the test got, for the never-echoed check. */
  const keep = <T>(value: T): T => (seen.push(value), value);
  beforeAll(async () => {
    git = await startTestGitServer({ token: TOKEN });
    fake = await startFakeModel();
    t = await startSandboxTestServer(backend, provider, { captureLogs: true, env: { ANTHROPIC_BASE_URL: fake.url, GIT_BASE_URL: git.baseUrl, GIT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', LOG_LEVEL: 'debug' } });
    agentId = (await t.client.beta.agents.create({ name: 'repos', model: MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await git?.close();
  });

  const create = (resources: unknown[]) => t.client.beta.sessions.create({ agent: agentId, resources } as Anthropic.Beta.Sessions.SessionCreateParams).then(keep);
  const turn = async (sessionId: string, idleCount: number) => {
    await t.client.beta.sessions.events.send(sessionId, { events: [userMessage('go')] });
    return waitForIdle(t.client, sessionId, idleCount, 60_000);
  };
  const tokenRows = async () => (await sql<{ id: string; session_id: string; authorization_token: string | null }>`SELECT id, session_id, authorization_token FROM session_repositories`.execute(t.server.services.store.db)).rows;

  it('accepts repositories at create without echoing the token, seals it, rotates and removes while idle, and refuses bad params', async () => {
    const url = `${git.baseUrl}/private/secret.git`;
    const session = await create([{ type: 'github_repository', url, authorization_token: TOKEN }, { type: 'github_repository', url: `${git.baseUrl}/acme/hello`, checkout: { type: 'branch', name: 'feature' }, mount_path: '/workspace/src/hello' }]);
    const [secret, hello] = session.resources as Anthropic.Beta.Sessions.BetaManagedAgentsGitHubRepositoryResource[];
    expect(Object.keys(secret!).sort()).toEqual(['checkout', 'created_at', 'id', 'mount_path', 'type', 'updated_at', 'url']);
    expect(secret).toMatchObject({ type: 'github_repository', url, mount_path: '/workspace/secret', checkout: null });
    expect(hello).toMatchObject({ mount_path: '/workspace/src/hello', checkout: { type: 'branch', name: 'feature' } });
    expect(keep(await t.client.beta.sessions.resources.retrieve(secret!.id, { session_id: session.id }))).toEqual(secret);
    keep((await t.client.beta.sessions.resources.list(session.id)).data);
    keep(await t.client.beta.sessions.retrieve(session.id));
    const rows = (await tokenRows()).filter((r) => r.session_id === session.id);
    expect(rows.map((r) => [r.id, r.authorization_token === null ? null : r.authorization_token.slice(0, 4)])).toEqual([[secret!.id, 'sb1.'], [hello!.id, null]]);
    expect(JSON.stringify(rows).includes(FRAGMENT), 'a token row holds the token in clear').toBe(false);

    const rotated = keep(await t.client.beta.sessions.resources.update(secret!.id, { session_id: session.id, authorization_token: `${TOKEN}-2` }));
    expect(rotated).toMatchObject({ id: secret!.id, type: 'github_repository', url });
    expect((await tokenRows()).find((r) => r.id === secret!.id)!.authorization_token).not.toBe(rows[0]!.authorization_token);
    expect(keep(await t.client.beta.sessions.resources.delete(hello!.id, { session_id: session.id }))).toEqual({ id: hello!.id, type: 'session_resource_deleted' });
    expect((await tokenRows()).some((r) => r.id === hello!.id)).toBe(false);

    const other = await t.clientForTenant('tenant_repos_other');
    expect((await apiError(other.beta.sessions.resources.update(secret!.id, { session_id: session.id, authorization_token: 'x' }))).status).toBe(404);
    expect((await apiError(t.client.beta.sessions.resources.update('sesrsc_unknown', { session_id: session.id, authorization_token: 'x' }))).status).toBe(404);
    const file = await t.client.beta.files.upload({ file: await toFile(Buffer.from('x'), 'x.txt') });
    const added = await t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id });
    expect(await apiError(t.client.beta.sessions.resources.update(added.id, { session_id: session.id, authorization_token: 'x' }))).toMatchObject({ status: 400, message: expect.stringContaining('only github_repository') });
    expect(await apiError(t.client.beta.sessions.resources.add(session.id, { type: 'github_repository', url } as never))).toMatchObject({ status: 400, message: expect.stringContaining('attached when the session is created') });

    const refused = async (resource: Record<string, unknown>, pattern: RegExp) => expect(await apiError(create([{ type: 'github_repository', ...resource }]))).toMatchObject({ status: 400, message: expect.stringMatching(pattern) });
    await refused({ url: 'https://github.example/o/r' }, /GIT_BASE_URL/);
    await refused({ url: `${git.baseUrl.replace('http://', 'http://me:pw@')}/o/r` }, /credentials/);
    await refused({ url: `${git.baseUrl}/only-owner` }, /<owner>\/<repo>/);
    await refused({ url, mount_path: '/mnt/repo' }, /under \/workspace/);
    await refused({ url, mount_path: '/workspace/skills/x' }, /reserved/);
    await refused({ url, checkout: { type: 'branch', name: '--upload-pack=evil' } }, /branch/);
    await refused({ url, checkout: { type: 'commit', sha: 'abc123' } }, /full commit SHA/);
    await refused({ url, token: TOKEN }, /token/);
    await refused({ url, authorization_token: 'ghp_x\r\nX-Injected: 1' }, /printable ASCII/);
    expect(await apiError(t.client.beta.sessions.resources.update(secret!.id, { session_id: session.id, authorization_token: 'a b' }))).toMatchObject({ status: 400, message: expect.stringContaining('printable ASCII') });
    expect(await apiError(create([{ type: 'github_repository', url }, { type: 'github_repository', url: `${git.baseUrl}/other/secret` }]))).toMatchObject({ status: 400, message: expect.stringContaining('overlaps') });

    await t.client.beta.sessions.delete(session.id);
    expect((await tokenRows()).some((r) => r.session_id === session.id)).toBe(false);
  });

  it('clones on the server at a branch (with a token) and at a commit (without); the agent reads the checkouts; the token is nowhere else', async () => {
    const base = git.baseUrl;
    const { mainFirst } = git.commits;
    const session = await create([
      { type: 'github_repository', url: `${base}/private/secret.git`, authorization_token: TOKEN },
      { type: 'github_repository', url: `${base}/acme/hello.git`, checkout: { type: 'branch', name: 'feature' } },
      { type: 'github_repository', url: `${base}/acme/hello`, checkout: { type: 'commit', sha: mainFirst }, mount_path: '/workspace/pinned/hello' },
    ]);
    const before = git.requests.length;
    const probe = `cd pinned/hello && git log -1 --format=%H && cat README.md && cd ../../secret && cat SECRET.md && git remote get-url origin && cd .. && echo ${FRAGMENT} > control.txt && echo "hits=$( (grep -rl ${FRAGMENT} . /proc/[0-9]*/environ 2>/dev/null || true) | tr '\\n' ' ')end"`;
    fake.script([
      expecting(reply(toolUse('read', { file_path: '/workspace/hello/FEATURE.md' })), (r) => (JSON.stringify(r.body.system).includes('/workspace/pinned/hello') ? undefined : `no repositories in the system prompt: ${JSON.stringify(r.body.system)}`)),
      expecting(reply(toolUse('bash', { command: probe })), (r) => (lastToolResult(r).includes('feature work') ? undefined : `read did not show the branch's file: ${lastToolResult(r)}`)),
      expecting(reply(text('done')), (r) => {
        const result = lastToolResult(r);
        for (const want of [mainFirst, 'hello v1', 'private stuff', `${base}/private/secret.git`, 'hits=./control.txt end']) if (!result.includes(want)) return `the probe did not show ${want}: ${result}`;
        return undefined;
      }),
    ]);
    const events = await turn(session.id, 1);
    expect(errorsOf(events)).toEqual([]);
    expect(events.filter((e) => e.type === 'agent.tool_result').map((e) => e.is_error)).toEqual([false, false]);
    expect(existsSync(join(sessionHostDirectory(t, session.id), 'hello', 'FEATURE.md'))).toBe(true);
    // The token went to its own repository only, and only in the Authorization header.
    const during = git.requests.slice(before);
    expect(new Set(during.filter((r) => r.path.includes('/private/')).map((r) => r.auth))).toEqual(new Set(['basic']));
    expect(new Set(during.filter((r) => r.path.includes('/acme/')).map((r) => r.auth))).toEqual(new Set(['none']));

    // A second turn does not clone again (the agent's changes are kept).
    const cloneRequests = git.requests.length;
    fake.script([reply(toolUse('bash', { command: 'echo changed >> hello/FEATURE.md' })), reply(text('ok'))]);
    await turn(session.id, 2);
    expect(git.requests.length).toBe(cloneRequests);

    const everything = JSON.stringify([seen, await listEvents(t.client, session.id), fake.requests, t.logLines]);
    expect(everything.includes(TOKEN), 'the token leaked into a response, event, model request or log line').toBe(false);
    expect(t.logLines.length).toBeGreaterThan(0);
  });

  it('a clone that fails is a retrying session.error and the session proceeds; a rotated token is used by the next turn', async () => {
    const base = git.baseUrl;
    const session = await create([
      { type: 'github_repository', url: `${base}/private/secret.git` },
      { type: 'github_repository', url: `${base}/forbidden/hello.git`, authorization_token: TOKEN, mount_path: '/workspace/forbidden' },
      { type: 'github_repository', url: `${base}/acme/missing.git` },
      { type: 'github_repository', url: `${base}/acme/hello.git`, checkout: { type: 'branch', name: 'no-such-branch' }, mount_path: '/workspace/branch' },
      { type: 'github_repository', url: `${base}/acme/hello.git`, checkout: { type: 'commit', sha: git.commits.unreferenced }, mount_path: '/workspace/commit' },
      { type: 'github_repository', url: `${base}/acme/hello.git` },
    ]);
    const secretId = (session.resources[0] as { id: string }).id;
    fake.script([reply(toolUse('bash', { command: 'ls' })), expecting(reply(text('ok')), (r) => (lastToolResult(r).includes('hello') && !lastToolResult(r).includes('secret') ? undefined : `unexpected workspace: ${lastToolResult(r)}`))]);
    const events = await turn(session.id, 1);
    expect(errorsOf(events).map((e) => [e.type, e.repository_url, e.retry_status.type])).toEqual([
      ['repository_authentication_error', `${base}/private/secret.git`, 'retrying'],
      ['repository_forbidden_error', `${base}/forbidden/hello.git`, 'retrying'],
      ['repository_not_found_error', `${base}/acme/missing.git`, 'retrying'],
      ['repository_checkout_error', `${base}/acme/hello.git`, 'retrying'],
      ['repository_checkout_error', `${base}/acme/hello.git`, 'retrying'],
    ]);
    expect(events.filter((e) => e.type === 'session.status_idle').map((e) => (e.stop_reason as { type: string }).type)).toEqual(['end_turn']);

    keep(await t.client.beta.sessions.resources.update(secretId, { session_id: session.id, authorization_token: TOKEN }));
    fake.script([reply(toolUse('bash', { command: 'cat secret/SECRET.md' })), expecting(reply(text('ok')), (r) => (lastToolResult(r).includes('private stuff') ? undefined : `not cloned after the rotation: ${lastToolResult(r)}`))]);
    const after = await turn(session.id, 2);
    const second = errorsOf(after).slice(5);
    expect(second.map((e) => e.type)).toEqual(['repository_forbidden_error', 'repository_not_found_error', 'repository_checkout_error', 'repository_checkout_error']);
    expect(JSON.stringify([seen, after, fake.requests, t.logLines]).includes(TOKEN), 'the token leaked').toBe(false);
  });
});
