/**
 * The webhook dispatcher's pass when one endpoint's sending throws (here: a secret that no longer
 * opens; likewise a database error while recording an attempt) while another endpoint's POST is
 * still in flight. The pass must wait for that POST and report the broken endpoint in the log:
 * a pass that rejects early lets the next pass start beside the running send, and the same
 * instance (its own lease) sends that endpoint's delivery a second time.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { raw } from '../support/http.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

describe.each(BACKENDS)('webhook dispatcher pass with a broken endpoint (%s)', (backend) => {
  let t: TestServer;
  let receiver: WebhookReceiver;
  const api = (method: string, path: string, body?: unknown) => raw(t.baseURL, method, path, { apiKey: t.apiKey, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await startTestServer(backend, { env: { VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '60000', LOG_LEVEL: 'warn' }, captureLogs: true });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });

  it('waits for the other endpoints\' sends, logs the broken one, and never sends a delivery twice', async () => {
    const create = async (path: string) => (await api('POST', '/v1/webhooks', { url: `${receiver.url}${path}`, event_types: ['deployment.updated'] })).json as { id: string };
    const broken = await create('/broken');
    await create('/slow');
    await t.server.services.store.webhooks.update('tenant_test', broken.id, { secret: 'sb1.not-a-sealed-value' });
    let release!: () => void;
    const held = new Promise<number>((resolve) => (release = () => resolve(200)));
    receiver.respond('/slow', () => held);
    await t.server.services.store.transaction((tx) => tx.webhooks.enqueue('tenant_test', { type: 'deployment.updated', id: 'depl_x' }, { now: Date.now() }));

    let settled: 'resolved' | 'rejected' | undefined;
    const first = t.server.webhooks.runOnce();
    first.then(() => (settled = 'resolved'), () => (settled = 'rejected'));
    const brokenLogged = () => t.logLines.some((line) => line.includes(broken.id) && line.includes('"level":40'));
    await expect.poll(() => receiver.at('/slow').length === 1 && (settled !== undefined || brokenLogged())).toBe(true);
    // The broken endpoint has been dealt with while /slow is still being answered: the pass is still on.
    expect(settled).toBeUndefined();
    const second = t.server.webhooks.runOnce();
    release();
    expect(await first).toMatchObject({ attempted: 1 });
    await second;
    expect(receiver.at('/slow')).toHaveLength(1);
    expect(receiver.at('/broken')).toHaveLength(0);
  });
});
