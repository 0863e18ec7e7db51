/**
 * The Console with AUTH_DISABLED=1 in Chromium against the real server process: the app opens
 * directly (no sign-in, no Sign out), with no console error and no request to another host.
 */
import { describe, it, expect, afterEach, beforeAll, afterAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { buildConsole, expectNoErrorsOrForeignRequests, launchBrowser, openPage, screenshot } from '../support/browser.ts';


describe.each(BACKENDS)('Console with AUTH_DISABLED=1 (%s)', (backend) => {
  let browser: Browser;
  let db: TestDatabase | undefined;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    buildConsole();
    browser = await launchBrowser();
  }, 120_000);
  afterEach(async () => {
    await server?.kill();
    await db?.drop();
    server = undefined;
    db = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('AUTH_DISABLED=1 opens the app directly, with no sign-in and no Sign out', async () => {
    db = await createTestDatabase(backend);
    server = await startChildServer(db, { env: { AUTH_DISABLED: '1' } });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const watched = await openPage(context, server.baseURL);
    const { page } = watched;
    await page.goto(`${server.baseURL}/agents`);
    await page.getByRole('button', { name: 'New agent', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    await screenshot(page, `${backend}-auth-disabled`, 'agents');
    expectNoErrorsOrForeignRequests(watched);
    await context.close();
  });
});
