/**
 * Which provider serves a model id, per tenant: a card listing it, else the tenant's default card,
 * else the server's ANTHROPIC_API_KEY, else a clear refusal naming what to configure.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { startFakeModel, reply, text, type FakeModel } from '../support/fake-model/index.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai/fake-openai.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';

const card = (extra: Record<string, unknown>) => ({ provider: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-unused', ...extra });

describe.each(BACKENDS)('model ids agents may name (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { env: { ANTHROPIC_API_KEY: '' } });
  });
  afterAll(async () => {
    await t?.stop();
  });
  const send = (method: string, path: string, body: unknown) => raw(t.baseURL, method, path, { apiKey: t.apiKey, body: JSON.stringify(body) });

  it('without ANTHROPIC_API_KEY accepts only ids a card of the tenant serves, and says what to configure', async () => {
    const refused = await send('POST', '/v1/agents', { name: 'a', model: 'llama3.1:8b' });
    expectError(refused, 400, 'invalid_request_error', /llama3\.1:8b/);
    expect(refused.json.error.message).toMatch(/POST \/v1\/model_cards/);
    expect(refused.json.error.message).toMatch(/ANTHROPIC_API_KEY/);
    expect(refused.json.error.details?.error_code).toBe('model_not_configured');

    await t.client.post('/v1/model_cards', { body: card({ name: 'local', models: ['llama3.1:8b'] }) });
    const agent = await t.client.beta.agents.create({ name: 'a', model: 'llama3.1:8b' });
    expect(agent.model.id).toBe('llama3.1:8b');
    expectError(await send('POST', '/v1/agents', { name: 'b', model: 'qwen2.5' }), 400, 'invalid_request_error', /qwen2\.5/);
    expectError(await send('POST', `/v1/agents/${agent.id}`, { version: 1, model: 'qwen2.5' }), 400, 'invalid_request_error', /qwen2\.5/);
    expectError(await send('POST', '/v1/sessions', { agent: { type: 'agent_with_overrides', id: agent.id, model: 'qwen2.5' } }), 400, 'invalid_request_error', /qwen2\.5/);
  });

  it('accepts any id once the tenant has a default card', async () => {
    const other = await t.clientForTenant('tenant_resolution_default');
    await other.post('/v1/model_cards', { body: card({ name: 'gateway', models: ['gpt-4o-mini'], is_default: true }) });
    const agent = await other.beta.agents.create({ name: 'any', model: 'mistral-small' });
    expect(agent.model.id).toBe('mistral-small');
    // Cards are per tenant: the first tenant's card does not serve this one.
    const third = await t.clientForTenant('tenant_resolution_none');
    const err = await third.beta.agents.create({ name: 'x', model: 'llama3.1:8b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe.each(BACKENDS)('resolution order of a model request (%s)', (backend) => {
  let t: TestServer;
  let envModel: FakeModel;
  let defaultCard: FakeModel;
  let listingCard: FakeOpenAI;
  beforeAll(async () => {
    [envModel, defaultCard, listingCard] = await Promise.all([startFakeModel(), startFakeModel(), startFakeOpenAI()]);
    t = await startTestServer(backend, { env: { ANTHROPIC_API_KEY: 'sk-env-fallback', ANTHROPIC_BASE_URL: envModel.url } });
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([envModel?.close(), defaultCard?.close(), listingCard?.close()]);
  });

  const runTurn = async (client: Anthropic, model: string) => {
    const agent = await client.beta.agents.create({ name: `agent-${model}`, model });
    const session = await client.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await client.beta.sessions.events.send(session.id, { events: [userMessage('hi')] });
    return waitForIdle(client, session.id);
  };

  it('uses the card listing the model, else the default card, else ANTHROPIC_API_KEY', async () => {
    await t.client.post('/v1/model_cards', { body: card({ name: 'listing', base_url: listingCard.url, api_key: 'sk-listing', models: ['qwen2.5'] }) });
    await t.client.post('/v1/model_cards', { body: { name: 'default', provider: 'anthropic', base_url: defaultCard.url, api_key: 'sk-default', models: ['claude-opus-4-6'], is_default: true } });
    listingCard.script([{ kind: 'reply', text: 'from the listing card' }]);
    defaultCard.script([reply(text('from the default card'))]);
    envModel.script([reply(text('from the server key'))]);

    await runTurn(t.client, 'qwen2.5');
    expect(listingCard.requests.map((r) => [r.body.model, r.headers.authorization])).toEqual([['qwen2.5', 'Bearer sk-listing']]);
    await runTurn(t.client, 'claude-sonnet-4-6');
    expect(defaultCard.requests.map((r) => [r.body.model, r.headers.authorization])).toEqual([['claude-sonnet-4-6', 'Bearer sk-default']]);
    // Another tenant has no cards: the server's key serves it.
    await runTurn(await t.clientForTenant('tenant_resolution_env'), 'claude-sonnet-4-6');
    expect(envModel.requests.map((r) => [r.body.model, r.headers.authorization])).toEqual([['claude-sonnet-4-6', 'Bearer sk-env-fallback']]);
    listingCard.assertDone();
    defaultCard.assertDone();
    envModel.assertDone();
  });
});
