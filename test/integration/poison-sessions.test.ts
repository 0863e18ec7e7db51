/**
 * Poison sessions (issue 13): a step that fails for a reason other than the model is recorded as
 * `oma.step_failed`, retried a bounded number of times, and then the session ends its turn visibly
 * (`session.error`, idle with `retries_exhausted`) while the server keeps serving other sessions.
 * Repro of the old behaviour: such a failure was only logged and retried by every sweep, forever.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createModelClient } from '../../src/harness/model/model-client-factory.ts';
import type { ModelClient, ModelRequest, ModelStreamEvent } from '../../src/harness/model/model-client.ts';
import { STEP_FAILURE_LIMIT } from '../../src/harness/step-failures.ts';
import { BACKENDS } from '../support/backends.ts';
import { reply, startFakeModel, text, type FakeModel } from '../support/fake-model/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

const POISON = 'poison pill';

/**
 * The real Anthropic client against the fake model, except that a request whose history mentions
 * POISON fails as a buggy provider would: with a TypeError instead of a ModelError.
 */
function buggyForPoison(fakeUrl: string): ModelClient {
  const real = createModelClient({ provider: 'anthropic', apiKey: 'sk-test-key', baseURL: fakeUrl });
  return {
    stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelStreamEvent> {
      if (!JSON.stringify(request.messages).includes(POISON)) return real.stream(request, signal);
      return (async function* () {
        yield* [];
        throw new TypeError("Cannot read properties of undefined (reading 'content') at key sk-ant-secret123456");
      })();
    },
  };
}

describe.each(BACKENDS)('poison sessions on %s', (backend) => {
  let fake: FakeModel;
  let t: TestServer;
  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url }, model: buggyForPoison(fake.url) });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  async function newSession(): Promise<string> {
    const agent = await t.client.beta.agents.create({ name: 'p', model: 'claude-sonnet-4-6' });
    return (await t.client.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams)).id;
  }

  async function allEvents(sessionId: string): Promise<WireEvent[]> {
    const res = await fetch(`${t.baseURL}/v1/sessions/${sessionId}/events?include_extensions=true&limit=1000`, { headers: { 'x-api-key': t.apiKey } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: WireEvent[] }).data;
  }

  async function expectGivenUp(sessionId: string, errorType: string): Promise<WireEvent[]> {
    const events = await waitFor(async () => {
      const all = await allEvents(sessionId);
      return all.some((e) => e.type === 'session.status_idle' && (e.stop_reason as { type: string }).type === 'retries_exhausted') ? all : undefined;
    }, { timeoutMs: 20_000, message: `session ${sessionId} was not given up` });
    const failures = events.filter((e) => e.type === 'oma.step_failed');
    expect(failures.map((e) => e.failures)).toEqual(Array.from({ length: STEP_FAILURE_LIMIT }, (_, i) => i + 1));
    for (const failure of failures) expect((failure.error as { type: string }).type).toBe(errorType);
    const error = events.find((e) => e.type === 'session.error')!;
    expect(error.error).toMatchObject({ type: 'unknown_error', retry_status: { type: 'exhausted' } });
    expect(JSON.stringify(events)).not.toContain('sk-ant-secret');
    expect((await t.client.beta.sessions.retrieve(sessionId)).status).toBe('idle');
    // Nothing left to wake it: no sweep picks it up again, so the retries stay bounded.
    expect(await t.server.services.store.sessions.listNeedingWork(Date.now(), t.config.instanceId)).not.toContain(sessionId);
    return events;
  }

  async function expectOthersServed(): Promise<void> {
    fake.script([reply(text('Still here.'))]);
    const other = await newSession();
    await t.client.beta.sessions.events.send(other, { events: [userMessage('are you up?')] });
    const events = await waitForIdle(t.client, other);
    expect(events.find((e) => e.type === 'agent.message')?.content).toEqual([{ type: 'text', text: 'Still here.' }]);
  }

  it('gives up a session whose step keeps throwing, after a bounded number of recorded failures', async () => {
    const sessionId = await newSession();
    await t.client.beta.sessions.events.send(sessionId, { events: [userMessage(`swallow the ${POISON}`)] });
    const events = await expectGivenUp(sessionId, 'TypeError');
    const failure = events.find((e) => e.type === 'oma.step_failed')!;
    expect((failure.error as { message: string }).message).toContain('sk-[redacted]');
    await expectOthersServed();
  });

  it('gives up a session whose log holds an event the catalogue rejects, naming session and seq', async () => {
    fake.script([reply(text('First answer.'))]);
    const sessionId = await newSession();
    await t.client.beta.sessions.events.send(sessionId, { events: [userMessage('hello')] });
    await waitForIdle(t.client, sessionId);
    const db = t.server.services.store.db;
    const message = await db.selectFrom('session_events').select(['seq']).where('session_id', '=', sessionId).where('type', '=', 'agent.message').executeTakeFirstOrThrow();
    await sql`UPDATE session_events SET payload = ${'{"content":42}'} WHERE session_id = ${sessionId} AND seq = ${message.seq}`.execute(db);
    // As if another instance had held the session since: the worker cannot reuse the state it
    // folded last run (that needs the next lease token to follow its own), so it reads the log.
    await sql`UPDATE session_leases SET token = token + 10 WHERE session_id = ${sessionId}`.execute(db);

    await t.client.beta.sessions.events.send(sessionId, { events: [userMessage('and now?')] });
    const events = await expectGivenUp(sessionId, 'CorruptEventError');
    const detail = (events.find((e) => e.type === 'oma.step_failed')!.error as { message: string }).message;
    expect(detail).toContain(`event seq ${Number(message.seq)} (agent.message) of session ${sessionId}`);
    expect(detail).toContain('content');
    const queued = await db.selectFrom('session_events').select('id').where('session_id', '=', sessionId).where('processed_at', 'is', null).execute();
    expect(queued).toEqual([]);
    await expectOthersServed();
  });
});
