/**
 * SIGTERM with a turn in flight: the process exits 0 within 10 s (SHUTDOWN_TIMEOUT_MS), leaving
 * the log checkpointed, and after a restart the turn finishes by itself. Real server processes on
 * both backends; the model is the scripted fake.
 */
import Anthropic from '@anthropic-ai/sdk';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { useCrashableServer } from '../support/crashable-server.ts';
import { reply, text, toolUse, stall, expecting } from '../support/fake-model/index.ts';
import { openSse } from '../support/sse-client.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';
import { listAllEvents } from '../../scripts/crash-test/api.ts';

function expectBalanced(events: WireEvent[]) {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const u of events.filter((e) => e.type === 'agent.tool_use')) expect(events.filter((e) => e.type === 'agent.tool_result' && e.tool_use_id === u.id)).toHaveLength(1);
  for (const s of events.filter((e) => e.type === 'span.model_request_start')) expect(events.filter((e) => e.type === 'span.model_request_end' && e.model_request_start_id === s.id)).toHaveLength(1);
  expect(events.filter((e) => e.type === 'user.message').every((e) => e.processed_at !== null)).toBe(true);
  expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
}

describe.each(BACKENDS)('graceful shutdown on %s', (backend) => {
  const t = useCrashableServer(backend, { env: { MODEL_RETRY_BASE_MS: '10' } });

  /** SIGTERM; resolves with the exit code and how long the process took to exit. */
  async function terminate(): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    t.server.child.kill('SIGTERM');
    const { code } = await t.server.exited;
    return { code, ms: Date.now() - started };
  }

  async function newSession(): Promise<string> {
    const agent = await t.client().beta.agents.create({ name: 'g', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    return (await t.client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams)).id;
  }

  it('exits 0 within 10 s while a tool runs; after restart the tool is reported as cut off and the turn finishes', async () => {
    t.fake.script([
      reply(toolUse('bash', { command: 'echo ran >> marker.txt; sleep 60' })),
      expecting(reply(text('finished after restart')), (r) => (JSON.stringify(r.body.messages.at(-1)).includes('restarted') ? undefined : 'the model was not told the tool was cut off')),
    ]);
    const sessionId = await newSession();
    await t.client().beta.sessions.events.send(sessionId, { events: [userMessage('go')] });
    const marker = join(t.db.dataDir, 'sandboxes', sessionId, 'marker.txt');
    await waitFor(() => existsSync(marker), { timeoutMs: 20_000, message: 'the tool never started' });
    const exit = await terminate();
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(10_000);

    await t.start();
    await waitForIdle(t.client(), sessionId, 1, 30_000);
    const events = await listAllEvents(t.server.baseURL, sessionId);
    expectBalanced(events);
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBe(true);
    expect(JSON.stringify(result.content)).toContain('restarted');
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    t.fake.assertDone();
  });

  it('exits 0 within 10 s with a model stream stalled and an SSE stream open; after restart the request is issued again', async () => {
    t.fake.script([stall({ content: [text('partial answer')], afterDeltas: 1 }), reply(text('complete answer'))]);
    const sessionId = await newSession();
    const stream = await openSse(`${t.server.baseURL}/v1/sessions/${sessionId}/events/stream`);
    await t.client().beta.sessions.events.send(sessionId, { events: [userMessage('go')] });
    await t.fake.waitForStall(20_000);
    const exit = await terminate();
    await stream.ended;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(10_000);

    await t.start();
    await waitForIdle(t.client(), sessionId, 1, 30_000);
    const events = await listAllEvents(t.server.baseURL, sessionId);
    expectBalanced(events);
    const messages = events.filter((e) => e.type === 'agent.message');
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0]!.content)).toContain('complete answer');
    expect(events.filter((e) => e.type === 'span.model_request_start')).toHaveLength(2);
    t.fake.assertDone();
  });
});
