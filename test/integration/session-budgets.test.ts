/**
 * Session budgets (reference §2.3, §4.8): a runaway session stops at its max_list_cost, priced from
 * the built-in list or a model card's prices, and resumes when the budget is raised or removed.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, reply, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { expectError, raw } from '../support/http.ts';
import { listEvents, types, userMessage, waitForIdle } from '../support/session-helpers.ts';

const MODEL = 'claude-sonnet-4-6';
const cents = (amount: string) => ({ type: 'limit' as const, max_list_cost: { amount, currency: 'USD' as const } });
/** 1,000 input and 1,000 output tokens of claude-sonnet-4-6 ($3 / $15 per MTok): 1.8 cents. */
const COSTLY = { usage: { input_tokens: 1000, output_tokens: 1000 } };

describe.each(BACKENDS)('session budgets (%s)', (backend) => {
  let t: TestServer;
  let fake: FakeModel;
  let agentId: string;
  const send = (method: string, path: string, body: unknown) => raw(t.baseURL, method, path, { apiKey: t.apiKey, body: JSON.stringify(body) });

  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url } });
    agentId = (await t.client.beta.agents.create({ name: 'budgeted', model: MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('stops a runaway turn before the next model request once the list cost reaches the budget, then resumes when it is raised', async () => {
    const session = await t.client.beta.sessions.create({ agent: agentId, budget: cents('1') } as Anthropic.Beta.Sessions.SessionCreateParams);
    expect(session.budget).toEqual(cents('1'));
    fake.script([reply(toolUse('bash', { command: 'echo step' }), COSTLY)]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('loop forever')] });
    const events = await waitForIdle(t.client, session.id);
    expect(fake.requests).toHaveLength(1);
    expect(types(events).slice(-3)).toEqual(['agent.tool_result', 'session.usage', 'session.status_idle']);
    expect(events.at(-1)).toMatchObject({ stop_reason: { type: 'budget_reached' } });
    const usage = events.at(-2) as unknown as { usage: { list_cost: { amount: string }; input_tokens: number }; budget: unknown };
    expect(usage.usage).toMatchObject({ input_tokens: 1000, output_tokens: 1000, list_cost: { amount: '2', currency: 'USD' } });
    expect(usage.budget).toEqual(cents('1'));
    const paused = await t.client.beta.sessions.retrieve(session.id);
    expect([paused.status, paused.usage.list_cost]).toEqual(['idle', { amount: '2', currency: 'USD' }]);

    // Paused: only settle events; an interrupt is accepted but neither stored nor echoed.
    expectError(await send('POST', `/v1/sessions/${session.id}/events`, { events: [userMessage('more')] }), 400, 'invalid_request_error', /paused at its budget/);
    const interrupted = await send('POST', `/v1/sessions/${session.id}/events`, { events: [{ type: 'user.interrupt' }] });
    expect([interrupted.status, interrupted.json.data]).toEqual([200, []]);
    expect(types(await listEvents(t.client, session.id))).toEqual(types(events));

    // A budget at or below what was consumed (1.8 cents) is not a raise.
    expectError(await send('POST', `/v1/sessions/${session.id}`, { budget: cents('1') }), 400, 'invalid_request_error', /budget_not_raised/);
    fake.script([reply(text('finished within the new budget'))]);
    const raised = await t.client.beta.sessions.update(session.id, { budget: cents('500') });
    expect(raised.budget).toEqual(cents('500'));
    const after = await waitForIdle(t.client, session.id, 2);
    expect(after.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect(after.filter((e) => e.type === 'agent.message').at(-1)).toMatchObject({ content: [{ text: 'finished within the new budget' }] });
    expect(after.find((e) => e.type === 'session.updated')).toMatchObject({ budget: cents('500') });
    expect(fake.requests).toHaveLength(2);
    fake.assertDone();
  });

  it('resumes a paused session when its budget is removed, and a removed budget cannot come back', async () => {
    const session = await t.client.beta.sessions.create({ agent: agentId, budget: cents('0') } as Anthropic.Beta.Sessions.SessionCreateParams);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('hello')] });
    const events = await waitForIdle(t.client, session.id);
    expect(events.at(-1)).toMatchObject({ stop_reason: { type: 'budget_reached' } });
    expect(fake.requests.length).toBe(2);
    fake.script([reply(text('no budget now'))]);
    const removed = await t.client.beta.sessions.update(session.id, { budget: null });
    expect(removed.budget).toBeNull();
    const after = await waitForIdle(t.client, session.id, 2);
    expect(after.at(-1)).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expectError(await send('POST', `/v1/sessions/${session.id}`, { budget: cents('100') }), 400, 'invalid_request_error', /budget_create_only/);
    fake.assertDone();
  });

  it('refuses to add a budget later, and a budget for a model with no list price', async () => {
    const plain = await t.client.beta.sessions.create({ agent: agentId } as Anthropic.Beta.Sessions.SessionCreateParams);
    const added = await send('POST', `/v1/sessions/${plain.id}`, { budget: cents('100') });
    expectError(added, 400, 'invalid_request_error', /budget_create_only/);
    expect(added.json.error.details?.error_code).toBe('budget_create_only');
    const local = await t.client.beta.agents.create({ name: 'local', model: 'llama3.1:8b' });
    const unpriced = await send('POST', '/v1/sessions', { agent: local.id, budget: cents('100') });
    expectError(unpriced, 400, 'invalid_request_error', /model_not_budgetable/);
    expect(unpriced.json.error.details?.error_code).toBe('model_not_budgetable');
    const err = await t.client.beta.sessions.create({ agent: local.id, budget: cents('100') } as Anthropic.Beta.Sessions.SessionCreateParams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("prices a card's models from the card's prices, which override the built-in list", async () => {
    await t.client.post('/v1/model_cards', { body: { name: 'priced', provider: 'anthropic', base_url: fake.url, api_key: 'sk-priced', models: ['llama3.1:8b', 'claude-haiku-4-5'], prices: { input_per_mtok: 100, output_per_mtok: 100 } } });
    const agent = await t.client.beta.agents.create({ name: 'priced', model: 'claude-haiku-4-5' });
    const session = await t.client.beta.sessions.create({ agent: agent.id, budget: cents('10') } as Anthropic.Beta.Sessions.SessionCreateParams);
    // 1,000 + 1,000 tokens at $100 per MTok each: 20 cents (the built-in haiku price would be 0.6 cents).
    fake.script([reply(text('expensive'), COSTLY)]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('hi')] });
    await waitForIdle(t.client, session.id);
    expect((await t.client.beta.sessions.retrieve(session.id)).usage.list_cost).toEqual({ amount: '20', currency: 'USD' });
    const local = await t.client.beta.agents.create({ name: 'local-priced', model: 'llama3.1:8b' });
    expect((await t.client.beta.sessions.create({ agent: local.id, budget: cents('100') } as Anthropic.Beta.Sessions.SessionCreateParams)).budget).toEqual(cents('100'));
    fake.assertDone();
  });
});
