/**
 * The Console's Files and Skills pages and a session's resources in Chromium against the real
 * server process (AUTH_DISABLED=1): upload a file, download it byte-identical, delete it; upload a
 * skill folder, add a version, download a version's zip; a session page lists its file and
 * repository resources (never a token) and, after a scripted turn, the agent's output file, which
 * downloads from there. No console error, no request to another host.
 */
import Anthropic from '@anthropic-ai/sdk';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { buildConsole, expectNoErrorsOrForeignRequests, navLink, openConsole, screenshot, type WatchedPage } from '../support/browser.ts';
import { reply, startFakeModel, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';


describe.each(BACKENDS)('Console Files and Skills pages (%s)', (backend) => {
  let browser: Browser;
  let db: TestDatabase;
  let server: ChildServer;
  let watched: WatchedPage;
  let page: Page;
  let client: Anthropic;
  let work: string;
  let fake: FakeModel;
  beforeAll(async () => {
    buildConsole();
    work = await mkdtemp(path.join(tmpdir(), 'oma-console-files-'));
    db = await createTestDatabase(backend);
    fake = await startFakeModel();
    server = await startChildServer(db, { env: { AUTH_DISABLED: '1', LOG_LEVEL: 'warn', ANTHROPIC_BASE_URL: fake.url } });
    client = new Anthropic({ apiKey: 'unused', baseURL: server.baseURL, maxRetries: 0 });
    ({ browser, watched, page } = await openConsole(server.baseURL, { acceptDownloads: true }));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    await db?.drop();
    await fake?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('uploads a file, downloads it byte-identical and deletes it', async () => {
    await page.goto(`${server.baseURL}/sessions`);
    await navLink(page, 'Files').click();
    await page.getByRole('heading', { name: 'No files yet' }).waitFor();
    const bytes = Buffer.from('city,visits\nLyon,3\nOslo,5\n\u00e9t\u00e9,1\n');
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'visits.csv', mimeType: 'text/csv', buffer: bytes });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('cell', { name: /^visits\.csv/ }).waitFor();
    const listed = (await client.beta.files.list()).data;
    expect(listed.map((f) => [f.filename, f.size_bytes])).toEqual([['visits.csv', bytes.length]]);
    await screenshot(page, backend, 'files');

    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download visits.csv' }).click()]);
    expect(saved.suggestedFilename()).toBe('visits.csv');
    expect(await readFile((await saved.path())!)).toEqual(bytes);

    await page.getByRole('button', { name: 'Delete visits.csv' }).click();
    await page.getByRole('heading', { name: 'No files yet' }).waitFor();
    expect((await client.beta.files.list()).data).toEqual([]);
  });

  it('uploads a skill folder, adds a version and downloads a version as a zip', async () => {
    const folder = path.join(work, 'csv-report');
    await mkdir(path.join(folder, 'scripts'), { recursive: true });
    const skillMd = (description: string) => `---\nname: csv-report\ndescription: ${description}\n---\n\nRun scripts/report.sh on the CSV.\n`;
    await writeFile(path.join(folder, 'SKILL.md'), skillMd('Summarise a CSV file'));
    await writeFile(path.join(folder, 'scripts', 'report.sh'), 'wc -l "$1"\n');
    await navLink(page, 'Skills').click();
    await page.getByRole('heading', { name: 'No skills yet' }).waitFor();
    await page.getByLabel('Skill folder').setInputFiles(folder);
    await page.getByLabel('Display name (optional)').fill('CSV report');
    await page.getByRole('button', { name: 'Upload skill', exact: true }).click();
    await page.getByRole('link', { name: 'CSV report', exact: true }).click();
    await page.getByRole('heading', { name: 'CSV report', level: 1 }).waitFor();
    await page.getByRole('cell', { name: 'Summarise a CSV file' }).waitFor();

    await writeFile(path.join(folder, 'SKILL.md'), skillMd('Summarise a CSV file, now with totals'));
    await page.getByLabel('Skill folder').setInputFiles(folder);
    await page.getByRole('button', { name: 'Upload new version', exact: true }).click();
    await page.getByRole('cell', { name: 'Summarise a CSV file, now with totals' }).waitFor();
    const skill = (await client.beta.skills.list()).data[0]!;
    const versions = (await client.beta.skills.versions.list(skill.id)).data;
    expect(versions.map((v) => v.description)).toEqual(['Summarise a CSV file, now with totals', 'Summarise a CSV file']);
    await screenshot(page, backend, 'skill');

    const oldest = versions[1]!;
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download version ${oldest.id}` }).click()]);
    const zipPath = (await saved.path())!;
    expect((await readFile(zipPath)).subarray(0, 2).toString('latin1')).toBe('PK');
    const unzip = (...args: string[]) => spawnSync('unzip', args, { encoding: 'utf8' }).stdout;
    expect(unzip('-Z1', zipPath).split('\n').filter(Boolean).sort()).toEqual(['csv-report/SKILL.md', 'csv-report/scripts/report.sh']);
    expect(unzip('-p', zipPath, 'csv-report/SKILL.md')).toBe(skillMd('Summarise a CSV file'));

    await page.getByRole('button', { name: 'Delete skill', exact: true }).click();
    await page.getByRole('heading', { name: 'No skills yet' }).waitFor();
  });

  it("shows a session's file and repository resources on its page, without the token", async () => {
    const file = await client.beta.files.upload({ file: new File([Buffer.from('a,b\n')], 'input.csv', { type: 'text/csv' }) });
    const agent = await client.beta.agents.create({ name: 'reader', model: 'claude-sonnet-4-6' });
    const token = 'ghp_console_never_shown_123';
    const environment = await client.beta.environments.create({ name: 'console' });
    const session = await client.beta.sessions.create({
      agent: agent.id,
      environment_id: environment.id,
      resources: [{ type: 'file', file_id: file.id }, { type: 'github_repository', url: 'https://github.com/acme/widgets', authorization_token: token, checkout: { type: 'branch', name: 'main' } }],
    });
    await page.goto(`${server.baseURL}/sessions/${session.id}`);
    const attached = page.getByRole('list', { name: 'Attached resources' });
    await attached.getByText(`/mnt/session/uploads/${file.id}`).waitFor();
    await attached.getByText('https://github.com/acme/widgets @ main').waitFor();
    await attached.getByText('/workspace/widgets').waitFor();
    expect(await page.content()).not.toContain(token);
    await screenshot(page, backend, 'session-resources');
    expectNoErrorsOrForeignRequests(watched);
  });

  it("lists the agent's output files on the session page and downloads them", async () => {
    const agent = await client.beta.agents.create({ name: 'writer', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const environment = await client.beta.environments.create({ name: 'outputs' });
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id });
    const report = '# Report\n\nall good\n';
    fake.script([reply(toolUse('write', { file_path: '/mnt/session/outputs/report.md', content: report })), reply(text('written'))]);
    await page.goto(`${server.baseURL}/sessions/${session.id}`);
    await client.beta.sessions.events.send(session.id, { events: [userMessage('write the report')] });
    await waitForIdle(client, session.id, 1, 60_000);
    const outputs = page.getByRole('list', { name: 'Output files' });
    await outputs.getByText('report.md').waitFor({ timeout: 30_000 });
    const [saved] = await Promise.all([page.waitForEvent('download'), outputs.getByRole('button', { name: 'Download report.md' }).click()]);
    expect(await readFile((await saved.path())!, 'utf8')).toBe(report);
    fake.assertDone();
    expectNoErrorsOrForeignRequests(watched);
  });
});
