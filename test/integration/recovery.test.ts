/**
 * Crash recovery with real processes: the server is SIGKILLed mid-tool and mid-model-stream, restarted
 * on the same database, and the interrupted turn must finish by itself with the log's invariants intact.
 */
import Anthropic from '@anthropic-ai/sdk';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { useCrashableServer } from '../support/crashable-server.ts';
import { reply, text, toolUse, stall, expecting, httpError } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';
import { listAllEvents } from '../../scripts/crash-test/api.ts';

function assertInvariants(events: WireEvent[]) {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  const uses = events.filter((e) => e.type === 'agent.tool_use');
  for (const u of uses) expect(events.filter((e) => e.type === 'agent.tool_result' && e.tool_use_id === u.id)).toHaveLength(1);
  expect(events.filter((e) => e.type === 'user.message').every((e) => e.processed_at !== null)).toBe(true);
}

describe.each(BACKENDS)('crash recovery on %s', (backend) => {
  const t = useCrashableServer(backend, { env: { MODEL_RETRY_BASE_MS: '10' } });

  it('reports a mutating tool cut off by kill -9 as possibly done, never re-runs it, and finishes the turn', async () => {
    t.fake.script([
      reply(toolUse('bash', { command: 'echo ran >> marker.txt; sleep 30' })),
      expecting(reply(text('recovered')), (r) => (JSON.stringify(r.body.messages.at(-1)).includes('restarted') ? undefined : `last message lacks the restart notice: ${JSON.stringify(r.body.messages.at(-1))}`)),
    ]);
    const agent = await t.client().beta.agents.create({ name: 'r', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await t.client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await t.client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const marker = join(t.db.dataDir, 'sandboxes', s.id, 'marker.txt');
    await waitFor(() => existsSync(marker), { timeoutMs: 20_000, message: 'the tool never started' });
    await t.restart();
    await waitForIdle(t.client(), s.id, 1, 30_000);
    const events = await listAllEvents(t.server.baseURL, s.id);
    assertInvariants(events);
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBe(true);
    expect(JSON.stringify(result.content)).toContain('restarted');
    expect(events.some((e) => e.type === 'oma.turn_recovered')).toBe(true);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(events.at(-1)!.type).toBe('session.status_idle');
    t.fake.assertDone();
  });

  it('issues a model request cut off by kill -9 again and finishes the turn', async () => {
    t.fake.script([stall({ content: [text('partial')], afterDeltas: 1 }), reply(text('complete answer'))]);
    const agent = await t.client().beta.agents.create({ name: 'm', model: 'claude-sonnet-4-6' });
    const s = await t.client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await t.client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    await t.fake.waitForStall();
    await t.restart();
    await waitForIdle(t.client(), s.id, 1, 30_000);
    const events = await listAllEvents(t.server.baseURL, s.id);
    assertInvariants(events);
    const messages = events.filter((e) => e.type === 'agent.message');
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0]!.content)).toContain('complete answer');
    const starts = events.filter((e) => e.type === 'span.model_request_start');
    expect(starts).toHaveLength(2);
    for (const st of starts) expect(events.filter((e) => e.type === 'span.model_request_end' && e.model_request_start_id === st.id)).toHaveLength(1);
    t.fake.assertDone();
  });

  // Repro (found by the crash test): kill -9 during a retry's backoff left the session "rescheduling";
  // after restart the harness issued the retry, and every later request of the turn, without a
  // session.status_running, so clients saw status_rescheduled until the turn ended.
  it('announces a retry cut short by kill -9 with status_running before issuing it', async () => {
    t.fake.script([httpError(529, { retryAfter: 30 }), reply(text('after the retry'))]);
    const agent = await t.client().beta.agents.create({ name: 'b', model: 'claude-sonnet-4-6' });
    const s = await t.client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await t.client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    await waitFor(async () => (await listAllEvents(t.server.baseURL, s.id)).some((e) => e.type === 'session.status_rescheduled'), { timeoutMs: 20_000, message: 'never rescheduled' });
    await t.restart();
    await waitForIdle(t.client(), s.id, 1, 30_000);
    const events = await listAllEvents(t.server.baseURL, s.id);
    assertInvariants(events);
    const after = events.slice(events.findIndex((e) => e.type === 'session.status_rescheduled') + 1).map((e) => e.type);
    expect(after.indexOf('session.status_running')).toBeGreaterThanOrEqual(0);
    expect(after.indexOf('session.status_running')).toBeLessThan(after.indexOf('span.model_request_start'));
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    t.fake.assertDone();
  });
});
