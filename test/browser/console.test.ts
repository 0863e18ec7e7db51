/**
 * The Console in a real browser (Debian's Chromium via playwright-core) against the real server
 * started as `npm start` starts it (a child process on a free port, the built Console) and the
 * scripted fake model: sign up → agent with the agent toolset → new session → a bash tool call,
 * its result and the streamed reply appear live → reload and a server restart (the stream resumes
 * with Last-Event-ID) show the same timeline without duplicates → interrupt a slow turn → edit the
 * agent to always_ask and see the version diff → allow the call from the page → an API key used
 * with the SDK → a write-only vault credential → a memory store browsed by folder → a priced model
 * card giving the session its cost → an invitation → sign out, with no console error and no request
 * to another host. Elements are found by role and accessible name (the Console's contract).
 * Screenshots of every page at 1280 and 375 px go to test-artifacts/console/ (git-ignored).
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { reply, stall, startFakeModel, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { buildConsole, expectNoErrorsOrForeignRequests, navLink, openConsole, openPage, screenshot, type WatchedPage } from '../support/browser.ts';

const PASSWORD = 'correct horse battery';

const timelineEntries = (page: Page) => page.locator('ol.timeline > li');
const toolCall = (page: Page, name: string) => page.getByRole('article', { name: `Tool call ${name}`, exact: true });
const statusIs = (page: Page, status: string) => page.locator('.badge.status', { hasText: status }).waitFor();

async function send(page: Page, message: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(message);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

describe.each(BACKENDS)('the Console in Chromium (%s)', (backend) => {
  let db: TestDatabase;
  let fake: FakeModel;
  let server: ChildServer;
  let browser: Browser;
  let context: BrowserContext;
  let watched: WatchedPage;
  let page: Page;
  let sessionUrl = '';
  let agentUrl = '';

  let apiKey = '';
  /** Chromium logs each refused reconnect attempt while the server was down; that is the outage, not a bug. */
  const forgiveOutage = () =>
    watched.errors.splice(0, watched.errors.length, ...watched.errors.filter((e) => !/net::ERR_(CONNECTION_REFUSED|EMPTY_RESPONSE|CONNECTION_RESET|INCOMPLETE_CHUNKED_ENCODING)/.test(e)));
  const start = (port?: number) =>
    startChildServer(db, { port, env: { AUTH_DISABLED: '0', ANTHROPIC_BASE_URL: fake.url, MODEL_RETRY_BASE_MS: '10', LOG_LEVEL: 'warn' } });

  beforeAll(async () => {
    buildConsole();
    db = await createTestDatabase(backend);
    fake = await startFakeModel();
    server = await start();
    ({ browser, context, watched, page } = await openConsole(server.baseURL));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    await fake?.close();
    await db?.drop();
  });

  it('signs up and lands in the app with the navigation', async () => {
    await page.goto(server.baseURL);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await screenshot(page, backend, 'sign-in');
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await page.getByLabel('Name', { exact: true }).fill('Ada');
    await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await screenshot(page, backend, 'sign-up');
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    for (const name of ['Agents', 'Sessions', 'Environments', 'Vaults', 'Memory', 'Models', 'API keys', 'Members']) {
      await navLink(page, name).waitFor();
    }
    await page.getByRole('heading', { name: 'Start with an agent' }).waitFor();
    await screenshot(page, backend, 'sessions-empty');
  });

  it('creates an agent with the agent toolset', async () => {
    await navLink(page, 'Agents').click();
    await page.getByRole('heading', { name: 'No agents yet' }).waitFor();
    await screenshot(page, backend, 'agents-empty');
    await page.getByRole('button', { name: 'New agent', exact: true }).click();
    await page.getByLabel('Name', { exact: true }).fill('Echo agent');
    await page.getByLabel('Model', { exact: true }).fill('claude-sonnet-4-6');
    await page.getByLabel('System prompt', { exact: true }).fill('You run shell commands when asked.');
    expect(await page.getByRole('checkbox', { name: /Agent toolset/ }).isChecked()).toBe(true);
    await screenshot(page, backend, 'agent-new');
    await page.getByRole('button', { name: 'Create agent', exact: true }).click();
    await page.getByRole('heading', { name: 'Echo agent', level: 1 }).waitFor();
    agentUrl = page.url();
    expect(agentUrl).toMatch(/\/agents\/agent_/);
  });

  it('starts a session from the agent page; the tool call, its result and the streamed reply appear live', async () => {
    fake.script([
      reply(toolUse('bash', { command: 'echo hello-console' }), { usage: { input_tokens: 120, output_tokens: 30 } }),
      // Paced so the reply is seen typing in before it is stored.
      reply(text('The command printed hello-console, as you asked.'), { chunkSize: 4, chunkDelayMs: 120, usage: { input_tokens: 180, output_tokens: 14 } }),
    ]);
    await page.getByRole('button', { name: 'New session', exact: true }).click();
    await page.waitForURL(/\/sessions\/sesn_/);
    sessionUrl = page.url();
    await page.getByRole('heading', { name: 'Nothing here yet' }).waitFor();
    await send(page, 'Run echo hello-console');
    await page.getByText('Run echo hello-console', { exact: true }).waitFor();
    await toolCall(page, 'bash').locator('.tool-result pre', { hasText: 'hello-console' }).waitFor();
    await page.getByRole('article', { name: 'Agent message (streaming)' }).waitFor();
    await page.getByText('The command printed hello-console, as you asked.', { exact: true }).waitFor();
    await statusIs(page, 'idle');
    await page.getByText(/Usage: 300 in · 44 out · 2 model requests/).waitFor();
    expect(await page.getByRole('article', { name: 'Agent message (streaming)' }).count()).toBe(0);
    await screenshot(page, backend, 'session');
  });

  it('after a reload the timeline is the same, with no duplicates', async () => {
    const before = await timelineEntries(page).allInnerTexts();
    await page.reload();
    await page.getByText('The command printed hello-console, as you asked.', { exact: true }).waitFor();
    await statusIs(page, 'idle');
    expect(await timelineEntries(page).allInnerTexts()).toEqual(before);
    expect(await toolCall(page, 'bash').count()).toBe(1);
    expect(await page.getByText('Run echo hello-console', { exact: true }).count()).toBe(1);
  });

  it('the stream survives a server restart: it resumes with Last-Event-ID, nothing lost or repeated', async () => {
    const before = await timelineEntries(page).allInnerTexts();
    const port = server.port;
    await server.kill();
    await page.locator('.conn', { hasText: 'Reconnecting…' }).waitFor();
    server = await start(port);
    await page.locator('.conn', { hasText: 'Live' }).waitFor({ timeout: 30_000 });
    forgiveOutage();
    fake.script([reply(text('Still here after the restart.'))]);
    await send(page, 'Are you still there?');
    await page.getByText('Still here after the restart.', { exact: true }).waitFor();
    const after = await timelineEntries(page).allInnerTexts();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 2);
    expect(await toolCall(page, 'bash').count()).toBe(1);
  });

  it('interrupts a slow turn from the page', async () => {
    fake.script([stall()]);
    await send(page, 'Think about it for a very long time');
    await fake.waitForStall();
    await page.getByRole('button', { name: 'Interrupt', exact: true }).click();
    await page.getByText('Interrupted by the user', { exact: true }).waitFor();
    await statusIs(page, 'idle');
    expect(await page.getByRole('button', { name: 'Interrupt', exact: true }).count()).toBe(0);
  });

  it('edits the agent to always_ask for bash; the versions show the change', async () => {
    await page.goto(agentUrl);
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Permission for bash', { exact: true }).selectOption('always_ask');
    await page.getByRole('button', { name: 'Save changes', exact: true }).click();
    await page.getByText(/· v2 ·/).waitFor();
    await page.locator('.diff-added', { hasText: 'always_ask' }).waitFor();
    await screenshot(page, backend, 'agent');
  });

  it('an always_ask tool call waits for the page and runs once allowed', async () => {
    fake.script([reply(toolUse('bash', { command: 'echo allowed-from-page' })), reply(text('Allowed, and it ran.'))]);
    await page.getByRole('button', { name: 'New session', exact: true }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/sessions/sesn_') && url.href !== sessionUrl);
    await send(page, 'Run the command that needs permission');
    await page.getByRole('button', { name: 'Allow', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Deny', exact: true }).waitFor();
    expect(await toolCall(page, 'bash').locator('.tool-result pre', { hasText: /^allowed-from-page/ }).count()).toBe(0);
    await screenshot(page, backend, 'session-confirm');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await toolCall(page, 'bash').locator('.tool-result pre', { hasText: /^allowed-from-page/ }).waitFor();
    await page.getByText('Allowed, and it ran.', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Allow', exact: true }).count()).toBe(0);
  });

  it('a turn cut by a server crash resumes after the restart and is marked as recovered', async () => {
    fake.script([stall(), reply(text('Picked up where I left off.'))]);
    await send(page, 'Start a long task');
    await fake.waitForStall();
    const port = server.port;
    await server.kill();
    server = await start(port);
    await page.getByText('Recovered after a restart', { exact: true }).waitFor({ timeout: 30_000 });
    await page.getByText('Picked up where I left off.', { exact: true }).waitFor();
    await statusIs(page, 'idle');
    forgiveOutage();
    await screenshot(page, backend, 'session-recovered');
  });

  it('creates an API key shown once, which works with the SDK', async () => {
    await navLink(page, 'API keys').click();
    await page.getByLabel('Name', { exact: true }).fill('sdk');
    await page.getByRole('button', { name: 'Create key', exact: true }).click();
    const key = (await page.getByLabel('New API key').innerText()).trim();
    expect(key).toMatch(/^oma_/);
    apiKey = key;
    await screenshot(page, backend, 'api-keys');
    const sdk = new Anthropic({ apiKey: key, baseURL: server.baseURL, maxRetries: 0 });
    expect((await sdk.beta.agents.list()).data.map((a) => a.name)).toEqual(['Echo agent']);
    await page.reload();
    await page.getByRole('cell', { name: 'sdk', exact: true }).waitFor();
    expect(await page.content()).not.toContain(key);
  });

  it('a custom tool call is answered from the page', async () => {
    const sdk = new Anthropic({ apiKey, baseURL: server.baseURL, maxRetries: 0 });
    const agent = await sdk.beta.agents.create({
      name: 'Weather agent',
      model: 'claude-sonnet-4-6',
      tools: [{ type: 'custom', name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    fake.script([reply(toolUse('get_weather', { city: 'Paris' })), reply(text('It is sunny in Paris.'))]);
    await page.goto(`${server.baseURL}/agents/${agent.id}`);
    await page.getByRole('button', { name: 'New session', exact: true }).click();
    await page.waitForURL(/\/sessions\/sesn_/);
    await send(page, 'What is the weather in Paris?');
    const call = page.getByRole('article', { name: 'Custom tool call get_weather', exact: true });
    await call.getByLabel('Result for get_weather', { exact: true }).fill('sunny, 21 °C');
    await screenshot(page, backend, 'session-custom-tool');
    await call.getByRole('button', { name: 'Send result', exact: true }).click();
    await page.getByText('It is sunny in Paris.', { exact: true }).waitFor();
    await call.getByText('sunny, 21 °C', { exact: true }).waitFor();
    expect(await call.getByRole('button', { name: 'Send result' }).count()).toBe(0);
  });

  it('a vault credential is write-only: saved, listed, and its secret never shown again', async () => {
    await navLink(page, 'Vaults').click();
    await page.getByRole('heading', { name: 'No vaults yet' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Deploy keys');
    await page.getByRole('button', { name: 'Create vault', exact: true }).click();
    await page.getByRole('link', { name: 'Deploy keys', exact: true }).click();
    await page.getByLabel('Kind', { exact: true }).selectOption('environment_variable');
    await page.getByLabel('Label', { exact: true }).fill('GitHub');
    await page.getByLabel('Variable name', { exact: true }).fill('GITHUB_TOKEN');
    await page.getByLabel('Allowed hosts', { exact: true }).fill('api.github.com');
    await page.getByLabel('Secret value', { exact: true }).fill('s3cr3t-console-value');
    await page.getByRole('button', { name: 'Save credential', exact: true }).click();
    await page.getByRole('cell', { name: '$GITHUB_TOKEN → api.github.com' }).waitFor();
    expect(await page.getByLabel('Secret value', { exact: true }).inputValue()).toBe('');
    await screenshot(page, backend, 'vault');
    await page.reload();
    await page.getByRole('cell', { name: 'GitHub secret hidden', exact: true }).waitFor();
    expect(await page.content()).not.toContain('s3cr3t-console-value');
  });

  it('a memory store is browsed by folder, with a memory and its versions', async () => {
    await navLink(page, 'Memory').click();
    await page.getByLabel('Name', { exact: true }).fill('Team notes');
    await page.getByRole('button', { name: 'Create memory store', exact: true }).click();
    await page.getByRole('link', { name: 'Team notes', exact: true }).click();
    await page.getByLabel('Path', { exact: true }).fill('notes/todo.md');
    await page.getByLabel('Content', { exact: true }).fill('- ship the Console');
    await page.getByRole('button', { name: 'Save memory', exact: true }).click();
    await page.getByRole('button', { name: 'notes/', exact: true }).click();
    await page.getByRole('button', { name: 'todo.md', exact: true }).click();
    await page.getByLabel('Memory content').filter({ hasText: '- ship the Console' }).waitFor();
    await page.getByText('1 version', { exact: true }).waitFor();
    await screenshot(page, backend, 'memory-store');
  });

  it('a model card with prices gives each model request its cost', async () => {
    await navLink(page, 'Models').click();
    await page.getByRole('heading', { name: 'No model cards' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Fake Anthropic');
    await page.getByLabel('Base URL', { exact: true }).fill(fake.url);
    await page.getByLabel('API key', { exact: true }).fill('sk-card-key');
    await page.getByLabel('Model ids', { exact: true }).fill('claude-sonnet-4-6');
    await page.getByLabel('Input price ($ per million tokens)', { exact: true }).fill('3');
    await page.getByLabel('Output price ($ per million tokens)', { exact: true }).fill('15');
    await page.getByRole('button', { name: 'Create model card', exact: true }).click();
    await page.getByRole('cell', { name: '3 in / 15 out' }).waitFor();
    expect(await page.content()).not.toContain('sk-card-key');
    await screenshot(page, backend, 'models');
    // The first session: 310 input and 49 output tokens → (310 × 3 + 49 × 15) / 1e6 = $0.0017.
    await page.goto(sessionUrl);
    await page.getByText(/Usage: 310 in · 49 out · 4 model requests · \$0\.0017/).waitFor();
  });

  it('an owner invites someone by email', async () => {
    await navLink(page, 'Members').click();
    await page.getByRole('cell', { name: 'ada@example.com', exact: true }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill('bob@example.com');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('Invitation sent to bob@example.com.').waitFor();
    await page.getByRole('cell', { name: 'bob@example.com', exact: true }).waitFor();
  });

  it('shows the other pages, at 1280 and 375 px', async () => {
    const pages: Array<[string, string, string]> = [
      ['sessions', '/sessions', 'Sessions'],
      ['agents', '/agents', 'Agents'],
      ['environments', '/environments', 'Environments'],
      ['vaults', '/vaults', 'Vaults'],
      ['memory', '/memory', 'Memory'],
      ['models', '/models', 'Models'],
      ['members', '/members', 'Members'],
      ['api-keys', '/api-keys', 'API keys'],
      ['agent', new URL(agentUrl).pathname, 'Echo agent'],
      ['session', new URL(sessionUrl).pathname, 'Session with Echo agent'],
    ];
    const narrow = await browser.newContext({ viewport: { width: 375, height: 812 }, storageState: await context.storageState() });
    const small = await openPage(narrow, server.baseURL);
    try {
      for (const [name, path, heading] of pages) {
        for (const p of [page, small.page]) {
          await p.goto(`${server.baseURL}${path}`);
          await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
          if (name === 'vaults') await p.getByRole('link', { name: 'Deploy keys' }).waitFor();
          if (name === 'memory') await p.getByRole('link', { name: 'Team notes' }).waitFor();
          if (name === 'session') await p.getByText('Still here after the restart.', { exact: true }).waitFor();
          // The server's list cost (built-in prices, rounded up to the cent) of each session.
          if (name === 'sessions') await p.getByRole('cell', { name: '$0.01', exact: true }).first().waitFor();
          await navLink(p, 'Sessions').waitFor();
          await screenshot(p, backend, name);
        }
      }
      // At 375 px nothing is wider than the screen.
      // A string, because this test is compiled without the DOM library.
      const overflow = await small.page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow as number).toBeLessThanOrEqual(0);
      expect(small.errors).toEqual([]);
      expect(small.foreignRequests).toEqual([]);
    } finally {
      await narrow.close();
    }
  });

  it('signs out; the page made no request to another host and logged no error', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await page.goto(`${server.baseURL}/agents`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expectNoErrorsOrForeignRequests(watched);
    fake.assertDone();
  });
});
