/**
 * Debian's Chromium (/usr/bin/chromium, installed by .ci/run with apt; never downloaded) driven by
 * playwright-core, for the Console's browser tests. Each page records console errors and every
 * request to a host other than the server, so a test can assert there were none.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go (git-ignored): test-artifacts/console/. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/console', import.meta.url));

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What `npm start` does first (prestart): install and build the Console when out of date. */
export function buildConsole(): void {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/console-build.ts'], { cwd: ROOT, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`console build failed:\n${res.stdout}\n${res.stderr}`);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console messages of type error and uncaught page errors. */
  errors: string[];
  /** URLs requested from any origin but the server's. */
  foreignRequests: string[];
}

export async function openPage(context: BrowserContext, baseURL: string): Promise<WatchedPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  const foreignRequests: string[] = [];
  const origin = new URL(baseURL).origin;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('data:') && new URL(url).origin !== origin) foreignRequests.push(url);
  });
  return { page, errors, foreignRequests };
}

export interface ConsoleTab {
  browser: Browser;
  context: BrowserContext;
  watched: WatchedPage;
  page: Page;
}

/** Chromium with one desktop-sized (1280×860) context, `contextOptions` added, and a watched page of the server's. */
export async function openConsole(baseURL: string, contextOptions: BrowserContextOptions = {}): Promise<ConsoleTab> {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...contextOptions });
  const watched = await openPage(context, baseURL);
  return { browser, context, watched, page: watched.page };
}

/** The Console's main navigation link of that name. */
export function navLink(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

/** The page logged no console error and requested nothing from another host. */
export function expectNoErrorsOrForeignRequests(watched: Pick<WatchedPage, 'errors' | 'foreignRequests'>): void {
  expect(watched.errors).toEqual([]);
  expect(watched.foreignRequests).toEqual([]);
}

/** Saves a full-page screenshot as test-artifacts/console/<backend>/<name>-<width>.png. */
export async function screenshot(page: Page, backend: string, name: string): Promise<void> {
  const dir = join(ARTIFACTS_DIR, backend);
  mkdirSync(dir, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
}
