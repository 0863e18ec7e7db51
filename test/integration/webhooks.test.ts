import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { sql } from 'kysely';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { startFakeModel, text, type FakeModel } from '../support/fake-model/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';
import { RETRY_DELAYS_MS, DISABLE_AFTER_MS } from '../../src/webhooks/dispatcher.ts';

const MODEL = 'claude-sonnet-4-6';

describe.each(BACKENDS)('webhooks (%s)', (backend) => {
  let t: TestServer;
  let fake: FakeModel;
  let receiver: WebhookReceiver;
  let agentId: string;
  let envId: string;
  const clock = new ManualClock();
  const api = (method: string, path: string, body?: unknown) => raw(t.baseURL, method, path, { apiKey: t.apiKey, body: body === undefined ? undefined : JSON.stringify(body) });
  const create = async (path: string, extra: Record<string, unknown> = {}) => {
    const res = await api('POST', '/v1/webhooks', { url: `${receiver.url}${path}`, ...extra });
    expect(res.status, res.text).toBe(200);
    return res.json as { id: string; secret: string; status: string };
  };
  /** Verifies with the SDK's own verifier (throws on a bad signature) and returns the event. */
  const unwrap = (d: ReceivedDelivery, key: string) => t.client.beta.webhooks.unwrap(d.body, { headers: d.headers, key });
  const dispatch = () => t.server.webhooks.runOnce();
  const enqueue = (type: 'deployment_run.started' | 'deployment_run.failed', id: string) =>
    t.server.services.store.transaction((tx) => tx.webhooks.enqueue('tenant_test', { type, id }, { now: clock.now() }));

  beforeAll(async () => {
    fake = await startFakeModel();
    fake.script(Array.from({ length: 20 }, () => text('done')));
    receiver = await startWebhookReceiver();
    // Dispatch only when the test says so (runOnce), so each step's outcome is known.
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url, VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '60000' }, clock });
    agentId = (await t.client.beta.agents.create({ name: 'w', model: MODEL })).id;
    envId = (await t.client.beta.environments.create({ name: 'webhooks-env' })).id;
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await receiver?.close();
  });

  it('creates an endpoint with a whsec_ secret shown once and sealed at rest; retrieve, list and update never show it', async () => {
    const created = await create('/crud', { event_types: ['session.status_idled'], description: 'ops' });
    expect(created).toMatchObject({ type: 'webhook', url: `${receiver.url}/crud`, event_types: ['session.status_idled'], description: 'ops', status: 'enabled', disabled_reason: null });
    expect(created.id).toMatch(/^whk_/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await api('GET', `/v1/webhooks/${created.id}`);
    expect(got.json).not.toHaveProperty('secret');
    const { secret: _s, ...rest } = created;
    expect(got.json).toEqual(rest);
    const listed = await api('GET', '/v1/webhooks?limit=100');
    expect(listed.json.data.map((w: { id: string }) => w.id)).toContain(created.id);
    expect(JSON.stringify(listed.json)).not.toContain(created.secret);
    const updated = await api('POST', `/v1/webhooks/${created.id}`, { event_types: [], description: null, status: 'disabled' });
    expect(updated.json).toMatchObject({ event_types: [], description: null, status: 'disabled', disabled_reason: 'disabled by an update' });
    expect(JSON.stringify(updated.json)).not.toContain(created.secret);
    const row = await t.server.services.store.db.selectFrom('webhooks').select(['secret']).where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^sb1\./);
    expect(row.secret).not.toContain(created.secret.slice(6));
    expect(await api('DELETE', `/v1/webhooks/${created.id}`).then((r) => r.json)).toEqual({ id: created.id, type: 'webhook_deleted' });
    expectError(await api('GET', `/v1/webhooks/${created.id}`), 404, 'not_found_error');
  });

  it('refuses bad input with the reason: URL, event type, private destination, unknown field', async () => {
    expectError(await api('POST', '/v1/webhooks', { url: 'ftp://example.com/x' }), 400, 'invalid_request_error', /url.*http/);
    expectError(await api('POST', '/v1/webhooks', { url: `${receiver.url}/x`, event_types: ['session.status_idle'] }), 400, 'invalid_request_error', /session\.status_idled/);
    expectError(await api('POST', '/v1/webhooks', { url: 'http://10.20.30.40/hook' }), 400, 'invalid_request_error', /VAULT_ALLOWED_PRIVATE_HOSTS/);
    expectError(await api('POST', '/v1/webhooks', { url: `${receiver.url}/x`, secret: 'mine' }), 400, 'invalid_request_error', /secret/);
    expectError(await api('POST', '/v1/webhooks', { url: 'http://user:pw@127.0.0.1/x' }), 400, 'invalid_request_error', /credentials/);
    expectError(await api('POST', '/v1/webhooks/whk_nope', { description: 'x' }), 404, 'not_found_error');
    expectError(await api('POST', '/v1/webhooks/whk_nope/deliveries/whdlv_nope/redeliver', {}), 404, 'not_found_error');
  });

  it('delivers every lifecycle event of a session once per endpoint, in order, signed so the SDK verifies it; event_types filters', async () => {
    const all = await create('/all');
    const idledOnly = await create('/idled', { event_types: ['session.status_idled'] });
    const session = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('hi')] });
    await waitForIdle(t.client, session.id);
    await dispatch();
    await dispatch();
    const events = receiver.at('/all').map((d) => unwrap(d, all.secret));
    expect(events.map((e) => e.data.type)).toEqual(['session.created', 'session.status_run_started', 'session.status_idled']);
    for (const e of events) {
      expect(e).toMatchObject({ type: 'event', data: { id: session.id, organization_id: 'tenant_test', workspace_id: 'tenant_test' } });
      expect(e.id).toMatch(/^event_/);
      expect(Date.parse(e.created_at)).not.toBeNaN();
    }
    expect(receiver.at('/all').map((d) => d.headers['webhook-id'])).toEqual(events.map((e) => e.id));
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    const idled = receiver.at('/idled').map((d) => unwrap(d, idledOnly.secret));
    expect(idled.map((e) => [e.data.type, e.id])).toEqual([['session.status_idled', events[2]!.id]]);
    // The other endpoint's key does not verify this one's deliveries.
    expect(() => unwrap(receiver.at('/idled')[0]!, all.secret)).toThrow();
    // A second turn: only the new events, still in order.
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('again')] });
    await waitForIdle(t.client, session.id, 2);
    await dispatch();
    expect(receiver.at('/all').map((d) => unwrap(d, all.secret).data.type)).toEqual(['session.created', 'session.status_run_started', 'session.status_idled', 'session.status_run_started', 'session.status_idled']);
    await t.client.beta.sessions.archive(session.id);
    await dispatch();
    expect(receiver.at('/all').slice(5).map((d) => unwrap(d, all.secret).data.type)).toEqual(['session.status_terminated', 'session.archived']);
    // Deleted before the dispatcher read its log: what happened is still delivered, then session.deleted.
    const short = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    await t.client.beta.sessions.update(short.id, { title: 'last words' });
    await t.client.beta.sessions.delete(short.id);
    await dispatch();
    expect(receiver.at('/all').slice(7).map((d) => [unwrap(d, all.secret).data.type, unwrap(d, all.secret).data.id])).toEqual([['session.created', short.id], ['session.updated', short.id], ['session.deleted', short.id]]);
    const deliveries = await api('GET', `/v1/webhooks/${all.id}/deliveries?limit=100`);
    expect(deliveries.json.data).toHaveLength(10);
    expect(deliveries.json.data[0]).toMatchObject({ type: 'webhook_delivery', webhook_id: all.id, status: 'delivered', attempt_count: 1, last_status_code: 200, next_attempt_at: null });
    expect(deliveries.json.data[0].attempts[0]).toMatchObject({ attempt: 1, trigger: 'automatic', status_code: 200, error: null });
    await api('DELETE', `/v1/webhooks/${all.id}`);
    await api('DELETE', `/v1/webhooks/${idledOnly.id}`);
  });

  it('a session idle whose stored payload does not read is still delivered, and the session\'s later events follow', async () => {
    const hook = await create('/unreadable');
    const session = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('hi')] });
    await waitForIdle(t.client, session.id);
    await sql`UPDATE session_events SET payload = ${'not json'} WHERE session_id = ${session.id} AND type = 'session.status_idle'`.execute(t.server.services.store.db);
    await t.client.beta.sessions.update(session.id, { title: 'after the bad row' });
    await dispatch();
    expect(receiver.at('/unreadable').map((d) => unwrap(d, hook.secret).data.type)).toEqual(['session.created', 'session.status_run_started', 'session.status_idled', 'session.updated']);
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });

  it('one tenant whose fan-out fails does not stop the other tenants\' webhooks', async () => {
    const hook = await create('/isolated');
    // Another tenant with an endpoint row that no longer reads, and a session to fan out.
    const other = await t.clientForTenant('tenant_broken');
    const otherAgent = await other.beta.agents.create({ name: 'o', model: MODEL });
    const otherEnv = await other.beta.environments.create({ name: 'o-env' });
    const broken = await other.post('/v1/webhooks', { body: { url: `${receiver.url}/broken` } }) as { id: string };
    await sql`UPDATE webhooks SET event_types = ${'not json'} WHERE id = ${broken.id}`.execute(t.server.services.store.db);
    await other.beta.sessions.create({ agent: otherAgent.id, environment_id: otherEnv.id });
    const session = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const eventId = await enqueue('deployment_run.started', 'drun_isolated');
    await dispatch();
    const got = receiver.at('/isolated').map((d) => unwrap(d, hook.secret));
    expect(got.map((e) => [e.data.type, e.data.id])).toEqual(expect.arrayContaining([['session.created', session.id], ['deployment_run.started', 'drun_isolated']]));
    expect(got.map((e) => e.id)).toContain(eventId);
    expect(receiver.at('/broken')).toEqual([]);
    await t.server.services.store.webhooks.delete('tenant_broken', broken.id);
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });

  // Before the tests that move the clock: the refresher stamps its event with system time.
  it('a failed OAuth refresh of a vault credential is delivered as vault_credential.refresh_failed with its vault_id', async () => {
    const hook = await create('/refresh', { event_types: ['vault_credential.refresh_failed'] });
    receiver.respond('/token', () => 400);
    const vault = await t.client.beta.vaults.create({ display_name: 'refresh' });
    const credential = await t.client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'mcp_oauth', access_token: 'old-access', mcp_server_url: 'https://mcp.example.com/mcp', refresh: { client_id: 'c', refresh_token: 'r-token', token_endpoint: `${receiver.url}/token`, token_endpoint_auth: { type: 'none' } } },
    } as any);
    const row = await t.server.services.store.db.selectFrom('vault_credentials').selectAll().where('id', '=', credential.id).executeTakeFirstOrThrow();
    expect((await t.server.services.oauthRefresher.refresh(row)).status).toBe('failed');
    await dispatch();
    const [d] = receiver.at('/refresh');
    expect(unwrap(d!, hook.secret).data).toEqual({ type: 'vault_credential.refresh_failed', id: credential.id, vault_id: vault.id, organization_id: 'tenant_test', workspace_id: 'tenant_test' });
    expect(d!.body).not.toContain('r-token');
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });

  it('retries a failing delivery with backoff (same webhook-id), lists the attempts, and redelivers on demand', async () => {
    const hook = await create('/flaky', { event_types: ['deployment_run.started'] });
    receiver.respond('/flaky', (n) => (n <= 2 ? 500 : 200));
    const eventId = await enqueue('deployment_run.started', 'drun_retry');
    await dispatch();
    expect(receiver.at('/flaky')).toHaveLength(1);
    await dispatch();
    expect(receiver.at('/flaky')).toHaveLength(1); // not due yet
    clock.advance(RETRY_DELAYS_MS[0]!);
    await dispatch();
    expect(receiver.at('/flaky')).toHaveLength(2);
    clock.advance(RETRY_DELAYS_MS[1]!);
    await dispatch();
    const got = receiver.at('/flaky');
    expect(got).toHaveLength(3);
    expect(got.map((d) => d.headers['webhook-id'])).toEqual([eventId, eventId, eventId]);
    expect(got.map((d) => unwrap(d, hook.secret).data)).toEqual(Array(3).fill({ type: 'deployment_run.started', id: 'drun_retry', organization_id: 'tenant_test', workspace_id: 'tenant_test' }));
    const [delivery] = (await api('GET', `/v1/webhooks/${hook.id}/deliveries`)).json.data;
    expect(delivery).toMatchObject({ event_id: eventId, event_type: 'deployment_run.started', status: 'delivered', attempt_count: 3, last_status_code: 200 });
    expect(delivery.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 500, 200]);
    expect(delivery.attempts[0].error).toBe('HTTP 500');
    const again = await api('POST', `/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`, {});
    expect(again.json).toMatchObject({ id: delivery.id, status: 'pending' });
    await dispatch();
    expect(receiver.at('/flaky')).toHaveLength(4);
    expect(receiver.at('/flaky')[3]!.headers['webhook-id']).toBe(eventId);
    const after = (await api('GET', `/v1/webhooks/${hook.id}/deliveries`)).json.data[0];
    expect(after.attempts.at(-1)).toMatchObject({ attempt: 4, trigger: 'redeliver', status_code: 200 });
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });

  it('a failing endpoint gets one attempt per pass; its other due deliveries wait for the next pass', async () => {
    // Each attempt at a dead endpoint can take a whole timeout, and the next pass (every other
    // endpoint's next deliveries) waits for this one: it must not try all of its backlog in one pass.
    const hook = await create('/stuck', { event_types: ['deployment_run.succeeded'] });
    receiver.respond('/stuck', () => 500);
    for (const id of ['drun_s1', 'drun_s2', 'drun_s3']) {
      await t.server.services.store.transaction((tx) => tx.webhooks.enqueue('tenant_test', { type: 'deployment_run.succeeded', id }, { now: clock.now() }));
    }
    const ids = () => receiver.at('/stuck').map((d) => unwrap(d, hook.secret).data.id);
    expect((await dispatch()).attempted).toBe(1);
    expect(ids()).toEqual(['drun_s1']);
    await dispatch();
    expect(ids()).toEqual(['drun_s1', 'drun_s2']);
    receiver.respond('/stuck', () => 200);
    await dispatch();
    clock.advance(RETRY_DELAYS_MS[0]!);
    await dispatch();
    expect(ids()).toEqual(['drun_s1', 'drun_s2', 'drun_s3', 'drun_s1', 'drun_s2']);
    const deliveries = (await api('GET', `/v1/webhooks/${hook.id}/deliveries`)).json.data as { status: string }[];
    expect(deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });

  it('rotate_secret returns a new secret once; deliveries verify with the new key and, during the grace period, the old one', async () => {
    const hook = await create('/rotate', { event_types: ['deployment_run.failed'] });
    const rotated = await api('POST', `/v1/webhooks/${hook.id}/rotate_secret`, {});
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(hook.secret);
    expect((await api('GET', `/v1/webhooks/${hook.id}`)).json).not.toHaveProperty('secret');
    await enqueue('deployment_run.failed', 'drun_rot');
    await dispatch();
    const [d] = receiver.at('/rotate');
    expect(unwrap(d!, rotated.json.secret).data.id).toBe('drun_rot');
    expect(unwrap(d!, hook.secret).data.id).toBe('drun_rot');
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });

  it('disables an endpoint that fails for days, with the reason in its status; nothing is sent after', async () => {
    const hook = await create('/down', { event_types: ['deployment_run.failed'] });
    receiver.respond('/down', () => 503);
    await enqueue('deployment_run.failed', 'drun_d1');
    await dispatch();
    for (const delay of RETRY_DELAYS_MS) {
      clock.advance(delay);
      await dispatch();
    }
    expect(receiver.at('/down')).toHaveLength(RETRY_DELAYS_MS.length + 1);
    const [first] = (await api('GET', `/v1/webhooks/${hook.id}/deliveries`)).json.data;
    expect(first).toMatchObject({ status: 'failed', attempt_count: RETRY_DELAYS_MS.length + 1, next_attempt_at: null, last_status_code: 503 });
    expect((await api('GET', `/v1/webhooks/${hook.id}`)).json.status).toBe('enabled');
    clock.advance(DISABLE_AFTER_MS);
    await enqueue('deployment_run.failed', 'drun_d2');
    await dispatch();
    const disabled = (await api('GET', `/v1/webhooks/${hook.id}`)).json;
    expect(disabled.status).toBe('auto_disabled');
    expect(disabled.disabled_reason).toMatch(/every delivery attempt since .* failed \(last: HTTP 503\)/);
    const count = receiver.at('/down').length;
    receiver.respond('/down', () => 200);
    await enqueue('deployment_run.failed', 'drun_d3');
    clock.advance(RETRY_DELAYS_MS.at(-1)!);
    await dispatch();
    await dispatch();
    expect(receiver.at('/down')).toHaveLength(count);
    const deliveries = (await api('GET', `/v1/webhooks/${hook.id}/deliveries`)).json.data;
    expectError(await api('POST', `/v1/webhooks/${hook.id}/deliveries/${deliveries[0].id}/redeliver`, {}), 400, 'invalid_request_error', /auto_disabled.*"status":"enabled"/);
    // Re-enabled, it gets what is still pending.
    expect((await api('POST', `/v1/webhooks/${hook.id}`, { status: 'enabled' })).json).toMatchObject({ status: 'enabled', disabled_reason: null });
    await dispatch();
    expect(receiver.at('/down').length).toBeGreaterThan(count);
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });

  it('another tenant sees none of it', async () => {
    const hook = await create('/tenant');
    const other = await t.clientForTenant('tenant_other');
    const status = await other.get(`/v1/webhooks/${hook.id}`).then(() => 200, (e: { status: number }) => e.status);
    expect(status).toBe(404);
    const list = (await other.get('/v1/webhooks')) as { data: unknown[] };
    expect(list.data).toEqual([]);
    await api('DELETE', `/v1/webhooks/${hook.id}`);
  });
});
