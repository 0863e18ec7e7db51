/**
 * Issue 20's done-when, end to end with the real server, the official SDK, a loopback Git host
 * (git http-backend) and the scripted model: a client uploads a CSV, starts a session with it and a
 * private repository mounted, the agent reads both (bash), writes /mnt/session/outputs/report.md
 * (write tool), and the client finds that report among the session's Files and downloads it.
 */
import { randomBytes } from 'node:crypto';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import type { TestServer } from '../support/server.ts';
import { backendProviderPairs, startSandboxTestServer } from '../support/sandbox-providers.ts';
import { startFakeModel, reply, text, toolUse, type FakeModel, type RecordedRequest } from '../support/fake-model/index.ts';
import { listEvents, userMessage, waitForIdle } from '../support/session-helpers.ts';
import { startTestGitServer, type TestGitServer } from '../support/git-server.ts';

const MODEL = 'claude-sonnet-4-6';
const TOKEN = `ghp_done_${randomBytes(12).toString('hex')}`;
const CSV = 'city,visits\nLyon,3\nOslo,5\nKyoto,4\n';
const lastToolResult = (r: RecordedRequest) => JSON.stringify(r.body.messages.at(-1));

describe.each(backendProviderPairs(BACKENDS))('issue 20 done-when ($backend, $provider)', ({ backend, provider }) => {
  let git: TestGitServer;
  let fake: FakeModel;
  let t: TestServer;
  beforeAll(async () => {
    git = await startTestGitServer({ token: TOKEN });
    fake = await startFakeModel();
    t = await startSandboxTestServer(backend, provider, { captureLogs: true, env: { ANTHROPIC_BASE_URL: fake.url, GIT_BASE_URL: git.baseUrl, GIT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', LOG_LEVEL: 'info' } });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await git?.close();
  });

  it('a CSV and a repository go in, the agent writes report.md to the outputs, the client downloads it', async () => {
    const client = t.client;
    const csv = await client.beta.files.upload({ file: await toFile(Buffer.from(CSV), 'visits.csv', { type: 'text/csv' }) });
    const agent = await client.beta.agents.create({ name: 'analyst', model: MODEL, tools: [{ type: 'agent_toolset_20260401' }] });
    const environment = await client.beta.environments.create({ name: 'analysis' });
    const session = await client.beta.sessions.create({
      agent: agent.id,
      environment_id: environment.id,
      resources: [
        { type: 'file', file_id: csv.id, mount_path: '/mnt/session/uploads/visits.csv' },
        { type: 'github_repository', url: `${git.baseUrl}/private/secret.git`, authorization_token: TOKEN },
      ],
    });

    // The model reads the CSV and the repository, then writes a report from what it saw.
    const survey = `awk -F, 'NR>1 {n++; s+=$2} END {print "rows=" n " total=" s}' "$OMA_SESSION_DIR/uploads/visits.csv" && echo "repo=$(cat secret/SECRET.md)"`;
    let report = '';
    fake.script([
      reply(toolUse('bash', { command: survey })),
      (r) => {
        const seen = lastToolResult(r);
        const total = /total=(\d+)/.exec(seen)?.[1];
        const repo = /repo=([a-z ]+)/.exec(seen)?.[1];
        if (!total || !repo) throw new Error(`the survey did not show the CSV and the repository: ${seen}`);
        report = `# Visits report\n\nCities: 3\nTotal visits: ${total}\nFrom the repository: ${repo}\n`;
        return reply(toolUse('write', { file_path: '/mnt/session/outputs/report.md', content: report }));
      },
      reply(text('The report is in /mnt/session/outputs/report.md.')),
    ]);
    await client.beta.sessions.events.send(session.id, { events: [userMessage('Summarise visits.csv and note what the repository says.')] });
    const events = await waitForIdle(client, session.id, 1, 90_000);
    expect(events.filter((e) => e.type === 'session.error')).toEqual([]);
    expect(events.filter((e) => e.type === 'agent.tool_result').map((e) => e.is_error)).toEqual([false, false]);
    expect(report).toBe('# Visits report\n\nCities: 3\nTotal visits: 12\nFrom the repository: private stuff\n');

    const outputs: Anthropic.Beta.BetaFileMetadata[] = [];
    for await (const f of client.beta.files.list({ scope_id: session.id })) outputs.push(f);
    expect(outputs.map((f) => [f.filename, f.scope])).toEqual([['report.md', { type: 'session', id: session.id }]]);
    const downloaded = await client.beta.files.download(outputs[0]!.id);
    expect(await downloaded.text()).toBe(report);
    // The repository token stayed with the clone.
    expect(JSON.stringify([await listEvents(client, session.id), fake.requests, t.logLines, await client.beta.sessions.retrieve(session.id)]).includes(TOKEN)).toBe(false);
  });
});
