/**
 * Crash recovery with real processes: the server is SIGKILLed mid-tool and mid-model-stream, restarted
 * on the same database, and the interrupted turn must finish by itself with the log's invariants intact.
 */
import Anthropic from '@anthropic-ai/sdk';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, reply, text, toolUse, stall, expecting, httpError, type FakeModel } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

async function allEvents(baseURL: string, sessionId: string): Promise<WireEvent[]> {
  const r = await fetch(`${baseURL}/v1/sessions/${sessionId}/events?include_extensions=true&limit=1000`);
  return ((await r.json()) as { data: WireEvent[] }).data;
}

function assertInvariants(events: WireEvent[]) {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  const uses = events.filter((e) => e.type === 'agent.tool_use');
  for (const u of uses) expect(events.filter((e) => e.type === 'agent.tool_result' && e.tool_use_id === u.id)).toHaveLength(1);
  expect(events.filter((e) => e.type === 'user.message').every((e) => e.processed_at !== null)).toBe(true);
}

describe.each(BACKENDS)('crash recovery on %s', (backend) => {
  let fake: FakeModel;
  let db: TestDatabase;
  let server: ChildServer | undefined;
  const env = () => ({ ANTHROPIC_BASE_URL: fake.url, MODEL_RETRY_BASE_MS: '10' });
  const client = () => new Anthropic({ apiKey: 'unused', baseURL: server!.baseURL, maxRetries: 0 });

  beforeAll(async () => {
    fake = await startFakeModel();
    db = await createTestDatabase(backend);
    server = await startChildServer(db, { env: env() });
  });
  afterAll(async () => {
    await server?.kill();
    await fake?.close();
    await db?.drop();
  });

  it('reports a mutating tool cut off by kill -9 as possibly done, never re-runs it, and finishes the turn', async () => {
    fake.script([
      reply(toolUse('bash', { command: 'echo ran >> marker.txt; sleep 30' })),
      expecting(reply(text('recovered')), (r) => (JSON.stringify(r.body.messages.at(-1)).includes('restarted') ? undefined : `last message lacks the restart notice: ${JSON.stringify(r.body.messages.at(-1))}`)),
    ]);
    const agent = await client().beta.agents.create({ name: 'r', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const marker = join(db.dataDir, 'sandboxes', s.id, 'marker.txt');
    await waitFor(() => existsSync(marker), { timeoutMs: 20_000, message: 'the tool never started' });
    await server!.kill();
    server = await startChildServer(db, { env: env() });
    await waitForIdle(client(), s.id, 1, 30_000);
    const events = await allEvents(server.baseURL, s.id);
    assertInvariants(events);
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBe(true);
    expect(JSON.stringify(result.content)).toContain('restarted');
    expect(events.some((e) => e.type === 'oma.turn_recovered')).toBe(true);
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    expect(events.at(-1)!.type).toBe('session.status_idle');
    fake.assertDone();
  });

  it('issues a model request cut off by kill -9 again and finishes the turn', async () => {
    fake.script([stall({ content: [text('partial')], afterDeltas: 1 }), reply(text('complete answer'))]);
    const agent = await client().beta.agents.create({ name: 'm', model: 'claude-sonnet-4-6' });
    const s = await client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    await fake.waitForStall();
    await server!.kill();
    server = await startChildServer(db, { env: env() });
    await waitForIdle(client(), s.id, 1, 30_000);
    const events = await allEvents(server.baseURL, s.id);
    assertInvariants(events);
    const messages = events.filter((e) => e.type === 'agent.message');
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages[0]!.content)).toContain('complete answer');
    const starts = events.filter((e) => e.type === 'span.model_request_start');
    expect(starts).toHaveLength(2);
    for (const st of starts) expect(events.filter((e) => e.type === 'span.model_request_end' && e.model_request_start_id === st.id)).toHaveLength(1);
    fake.assertDone();
  });

  // Repro (found by the crash test): kill -9 during a retry's backoff left the session "rescheduling";
  // after restart the harness issued the retry, and every later request of the turn, without a
  // session.status_running, so clients saw status_rescheduled until the turn ended.
  it('announces a retry cut short by kill -9 with status_running before issuing it', async () => {
    fake.script([httpError(529, { retryAfter: 30 }), reply(text('after the retry'))]);
    const agent = await client().beta.agents.create({ name: 'b', model: 'claude-sonnet-4-6' });
    const s = await client().beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    await waitFor(async () => (await allEvents(server!.baseURL, s.id)).some((e) => e.type === 'session.status_rescheduled'), { timeoutMs: 20_000, message: 'never rescheduled' });
    await server!.kill();
    server = await startChildServer(db, { env: env() });
    await waitForIdle(client(), s.id, 1, 30_000);
    const events = await allEvents(server.baseURL, s.id);
    assertInvariants(events);
    const after = events.slice(events.findIndex((e) => e.type === 'session.status_rescheduled') + 1).map((e) => e.type);
    expect(after.indexOf('session.status_running')).toBeGreaterThanOrEqual(0);
    expect(after.indexOf('session.status_running')).toBeLessThan(after.indexOf('span.model_request_start'));
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
    fake.assertDone();
  });
});
