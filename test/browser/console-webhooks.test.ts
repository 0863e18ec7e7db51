/**
 * The Console's Webhooks pages in Chromium against the real server process: create an endpoint
 * (the signing secret is shown once and verifies what arrives, with the SDK's own unwrap), a
 * session's lifecycle deliveries listed with their attempts, redeliver one (same webhook-id),
 * rotate the secret. Elements are found by role and accessible name; no console error, no
 * request to another host.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, text, type FakeModel } from '../support/fake-model/index.ts';
import { buildConsole, expectNoErrorsOrForeignRequests, navLink, openConsole, screenshot, type WatchedPage } from '../support/browser.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';


describe.each(BACKENDS)('the Webhooks pages in Chromium (%s)', (backend) => {
  let db: TestDatabase;
  let fake: FakeModel;
  let receiver: WebhookReceiver;
  let server: ChildServer;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  let client: Anthropic;
  let secret = '';

  beforeAll(async () => {
    buildConsole();
    db = await createTestDatabase(backend);
    fake = await startFakeModel();
    fake.script(Array.from({ length: 5 }, () => text('done')));
    receiver = await startWebhookReceiver();
    server = await startChildServer(db, { env: { AUTH_DISABLED: '1', ANTHROPIC_BASE_URL: fake.url, VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '100' } });
    client = new Anthropic({ apiKey: 'unused', baseURL: server.baseURL, maxRetries: 0 });
    ({ browser, watched, page } = await openConsole(server.baseURL));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    await receiver?.close();
    await fake?.close();
    await db?.drop();
  });

  it('creates an endpoint and shows its signing secret once', async () => {
    await page.goto(`${server.baseURL}/sessions`);
    await navLink(page, 'Webhooks').click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No webhook endpoints').waitFor();
    await page.getByLabel('Endpoint URL', { exact: true }).fill(`${receiver.url}/hook`);
    await page.getByLabel('Description', { exact: true }).fill('ops alerts');
    await page.getByRole('button', { name: 'Create endpoint', exact: true }).click();
    secret = (await page.getByLabel('Signing secret', { exact: true }).textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const row = page.getByRole('table', { name: 'Webhook endpoints' }).getByRole('row').filter({ hasText: `${receiver.url}/hook` });
    expect(await row.textContent()).toMatch(/all.*enabled/);
    await screenshot(page, backend, 'webhooks');
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it("lists a session's deliveries with their attempts and redelivers one with the same webhook-id", async () => {
    const agent = await client.beta.agents.create({ name: 'hooked', model: 'claude-sonnet-4-6' });
    const env = await client.beta.environments.create({ name: 'hooked-env' });
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    await client.beta.sessions.events.send(session.id, { events: [userMessage('hi')] });
    await waitForIdle(client, session.id);
    await waitFor(() => receiver.at('/hook').length >= 3, { timeoutMs: 30_000, message: 'three lifecycle deliveries' });
    const events = receiver.at('/hook').map((d) => client.beta.webhooks.unwrap(d.body, { headers: d.headers, key: secret }));
    expect(events.map((e) => e.data.type)).toEqual(['session.created', 'session.status_run_started', 'session.status_idled']);
    const idled = events[2]!;
    await page.getByRole('link', { name: `${receiver.url}/hook`, exact: true }).click();
    const deliveries = page.getByRole('table', { name: 'Deliveries' });
    const idledRow = deliveries.getByRole('row').filter({ hasText: 'session.status_idled' });
    await idledRow.filter({ hasText: 'delivered' }).waitFor({ timeout: 15_000 });
    expect(await idledRow.textContent()).toMatch(/1: 200 in \d+ ms/);
    await page.getByRole('button', { name: `Redeliver session.status_idled ${idled.id}`, exact: true }).click();
    await waitFor(() => receiver.at('/hook').length >= 4, { timeoutMs: 30_000, message: 'the redelivery' });
    expect(receiver.at('/hook')[3]!.headers['webhook-id']).toBe(idled.id);
    await idledRow.filter({ hasText: '(redelivery)' }).waitFor({ timeout: 15_000 });
    await screenshot(page, backend, 'webhook-deliveries');
  });

  it('rotates the secret: the new one is shown once', async () => {
    await navLink(page, 'Webhooks').click();
    await page.getByRole('button', { name: `Rotate the secret of ${receiver.url}/hook`, exact: true }).click();
    const rotated = (await page.getByLabel('Signing secret', { exact: true }).textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    expectNoErrorsOrForeignRequests(watched);
  });
});
