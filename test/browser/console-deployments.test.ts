/**
 * The Console's Deployments pages in Chromium against the real server process and the fake model
 * (issue 23): create a scheduled deployment from the form (a bad cron expression shows the
 * server's reason), pause and unpause it, run it now, and follow the run's link to its session.
 * Elements are found by role and accessible name; no console error, no request to another host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { buildConsole, expectNoErrorsOrForeignRequests, navLink, openConsole, screenshot, type WatchedPage } from '../support/browser.ts';
import { postJson } from '../../scripts/crash-test/api.ts';


describe.each(BACKENDS)('the Deployments pages in Chromium (%s)', (backend) => {
  let db: TestDatabase;
  let fake: FakeModel;
  let server: ChildServer;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  const row = () => page.getByRole('table', { name: 'Deployments' }).getByRole('row').filter({ hasText: 'Morning report' });

  beforeAll(async () => {
    buildConsole();
    db = await createTestDatabase(backend);
    fake = await startFakeModel();
    fake.respondWith(() => ({ content: [{ type: 'text', text: 'Report written.' }] }) as never);
    server = await startChildServer(db, { env: { AUTH_DISABLED: '1', ANTHROPIC_BASE_URL: fake.url, MODEL_RETRY_BASE_MS: '10' } });
    await postJson(server.baseURL, '/v1/agents', { name: 'Reporter', model: 'claude-sonnet-4-6' });
    await postJson(server.baseURL, '/v1/environments', { name: 'reports' });
    ({ browser, watched, page } = await openConsole(server.baseURL));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    await fake?.close();
    await db?.drop();
  });

  it('creates a scheduled deployment from the form; a bad cron expression shows why', async () => {
    await page.goto(`${server.baseURL}/sessions`);
    await navLink(page, 'Deployments').click();
    await page.getByRole('heading', { name: 'Deployments', level: 1 }).waitFor();
    await page.getByText('No deployments yet').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Morning report');
    await page.getByLabel('First message', { exact: true }).fill("Compile yesterday's orders into report.md.");
    await page.getByLabel('Schedule', { exact: true }).fill('0 9 L * *');
    await page.getByLabel('Timezone', { exact: true }).fill('America/New_York');
    await page.getByRole('button', { name: 'Create deployment', exact: true }).click();
    await page.getByText(/extended cron syntax/).waitFor();
    // Chromium logs the refused request; that 400 is the point of this step, not a Console error.
    const refused = watched.errors.findIndex((e) => /status of 400 .*\/v1\/deployments\)$/.test(e));
    expect(refused).toBeGreaterThanOrEqual(0);
    watched.errors.splice(refused, 1);
    await page.getByLabel('Schedule', { exact: true }).fill('0 9 * * 1-5');
    await page.getByRole('button', { name: 'Create deployment', exact: true }).click();
    await row().waitFor();
    expect(await row().textContent()).toMatch(/0 9 \* \* 1-5.*America\/New_York.*active/);
    await screenshot(page, backend, 'deployments');
  });

  it('pauses and unpauses from the list', async () => {
    await page.getByRole('button', { name: 'Pause Morning report', exact: true }).click();
    await row().getByText('paused by hand').waitFor();
    await page.getByRole('button', { name: 'Unpause Morning report', exact: true }).click();
    await page.getByRole('button', { name: 'Pause Morning report', exact: true }).waitFor();
    expect(await row().getByText('paused by hand').count()).toBe(0);
  });

  it('runs now; the run links to its session, which ran the first message', async () => {
    await page.getByRole('link', { name: 'Morning report', exact: true }).click();
    await page.getByRole('heading', { name: /Morning report/, level: 1 }).waitFor();
    await page.getByText('No runs yet').waitFor();
    await page.getByRole('button', { name: 'Run Morning report now', exact: true }).click();
    const sessionLink = page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: /^Session sesn_/ });
    await sessionLink.waitFor();
    expect(await page.getByRole('table', { name: 'Runs' }).textContent()).toMatch(/run now/);
    await screenshot(page, backend, 'deployment');
    await sessionLink.click();
    await page.waitForURL(/\/sessions\/sesn_/);
    await page.getByText('Report written.').waitFor({ timeout: 30_000 });
    await page.getByText("Compile yesterday's orders into report.md.").first().waitFor();
  });

  it('made no request to another host and logged no error', () => {
    expectNoErrorsOrForeignRequests(watched);
  });
});
