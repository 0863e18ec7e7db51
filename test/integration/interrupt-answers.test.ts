/**
 * An interrupt answers every tool call it cuts off, so each tool use keeps exactly one result in the
 * log, and a confirmation that arrives after its call was settled is consumed instead of staying
 * queued input forever. Both found by the crash test once it sent interrupts.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startFakeModel, reply, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { listEvents, userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

const resultsOf = (events: WireEvent[], use: WireEvent) => events.filter((e) => e.type === 'agent.tool_result' && e.tool_use_id === use.id);
const textOf = (e: WireEvent) => JSON.stringify(e.content);

describe.each(BACKENDS)('interrupts and tool results on %s', (backend) => {
  let fake: FakeModel;
  let t: TestServer;
  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url } });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  async function session(configs: unknown[] = []) {
    const agent = await t.client.beta.agents.create({ name: 'i', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401', configs } as never] });
    return t.client.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
  }
  const extensions = (id: string) => t.client.beta.sessions.events.list(id, { include_extensions: 'true', limit: 1000 } as never).then((p) => p.data as unknown as WireEvent[]);

  // Repro: with two tool calls in one response, an interrupt during the first left the second without
  // any agent.tool_result (the model was sent a synthetic one, the log had none).
  it('gives a call the interrupt never let start an is_error "not run" result', async () => {
    fake.script([reply(toolUse('bash', { command: 'sleep 30' }), toolUse('bash', { command: 'touch never-run' }))]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('two calls')] });
    await waitFor(async () => (await extensions(s.id)).some((e) => e.type === 'oma.tool_execution_started'), { message: 'the first call never started' });
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.interrupt' }] });
    const events = await waitForIdle(t.client, s.id);
    const [first, second] = events.filter((e) => e.type === 'agent.tool_use');
    expect(resultsOf(events, first!)).toHaveLength(1);
    expect(resultsOf(events, second!)).toHaveLength(1);
    expect(resultsOf(events, second!)[0]).toMatchObject({ is_error: true });
    expect(textOf(resultsOf(events, second!)[0]!)).toContain('not run');
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });

  // Repro: a confirmation sent after an interrupt ended the requires_action turn stayed unprocessed
  // forever, and every sweep woke the session for it.
  it('answers an unconfirmed call on interrupt and consumes a confirmation that comes too late', async () => {
    fake.script([reply(toolUse('bash', { command: 'touch never-run' }))]);
    const s = await session([{ name: 'bash', permission_policy: { type: 'always_ask' } }]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const waiting = await waitForIdle(t.client, s.id);
    const use = waiting.find((e) => e.type === 'agent.tool_use')!;
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.interrupt' }] });
    const interrupted = await waitForIdle(t.client, s.id, 2);
    expect(interrupted.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    expect(resultsOf(interrupted, use)).toHaveLength(1);
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }] });
    const consumed = await waitFor(async () => {
      const events = await listEvents(t.client, s.id);
      const confirmation = events.find((e) => e.type === 'user.tool_confirmation');
      return confirmation?.processed_at ? events : undefined;
    }, { message: 'the late confirmation was never consumed' });
    expect(consumed.filter((e) => e.type === 'session.status_idle')).toHaveLength(2);
    expect(resultsOf(consumed, use)).toHaveLength(1);
    expect(consumed.filter((e) => e.type.startsWith('session.status_')).at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });

  // Repro: a deny answered the call, so no step consumed the confirmation: it stayed unprocessed
  // input and every sweep woke the session for it.
  it('consumes a deny confirmation', async () => {
    fake.script([reply(toolUse('bash', { command: 'touch never-run' })), reply(text('understood'))]);
    const s = await session([{ name: 'bash', permission_policy: { type: 'always_ask' } }]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const use = (await waitForIdle(t.client, s.id)).find((e) => e.type === 'agent.tool_use')!;
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny' }] });
    const events = await waitForIdle(t.client, s.id, 2);
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    expect(events.find((e) => e.type === 'user.tool_confirmation')!.processed_at).not.toBeNull();
  });

  // Repro (crash test, Postgres under load): the deny was consumed in a commit of its own, and the
  // turn resumed in the next one. A crash in between left the session idle on requires_action with
  // no unprocessed input and not running: nothing ever woke it. The resume must consume it.
  it('consumes a deny in the same commit that resumes the turn', async () => {
    fake.script([reply(toolUse('bash', { command: 'touch never-run' })), reply(text('understood'))]);
    const s = await session([{ name: 'bash', permission_policy: { type: 'always_ask' } }]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const use = (await waitForIdle(t.client, s.id)).find((e) => e.type === 'agent.tool_use')!;
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny' }] });
    await waitForIdle(t.client, s.id, 2);
    const events = await extensions(s.id);
    const at = events.findIndex((e) => e.type === 'user.tool_confirmation');
    const confirmation = events[at]!;
    expect(events[at + 1]!.type).toBe('session.status_running');
    expect(events.some((e) => e.type === 'oma.user_event_processed' && (e.event_ids as string[]).includes(confirmation.id))).toBe(false);
    expect(confirmation.processed_at).toBe(events[at + 1]!.processed_at);
  });
});
