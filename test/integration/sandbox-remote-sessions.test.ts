/**
 * SANDBOX_PROVIDER=e2b end to end, against the loopback E2B: two server instances on one
 * Postgres run an agent's tools in the session's remote sandbox; when the instance running a
 * session dies mid-tool, the other takes the session over with the same sandbox (its files are
 * there); archiving and deleting sessions delete their sandboxes at the provider.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { siblingDataDir, startChildServer, type ChildServer } from '../support/child-process.ts';
import { reply, startFakeModel, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { FakeE2b } from '../support/fake-remote/fake-e2b.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';
import { findHostProcesses, uniqueSleep } from '../contract/sandbox.contract.ts';

const toolResults = (events: WireEvent[]) => events.filter((e) => e.type === 'agent.tool_result').map((e) => ((e.content as { text?: string }[]) ?? []).map((b) => b.text ?? '').join(''));

describe.skipIf(!BACKENDS.includes('postgres'))('e2b sandboxes across two instances on one Postgres', () => {
  let db: TestDatabase;
  let model: FakeModel;
  const e2b = new FakeE2b();
  let a: ChildServer | undefined;
  let b: ChildServer | undefined;

  const env = () => ({
    SANDBOX_PROVIDER: 'e2b',
    E2B_API_KEY: e2b.apiKey,
    E2B_API_URL: e2b.url,
    E2B_SANDBOX_URL: e2b.url,
    ANTHROPIC_BASE_URL: model.url,
    LEASE_TTL_MS: '3000',
  });
  const client = (server: ChildServer) => new Anthropic({ apiKey: 'unused-auth-disabled', baseURL: server.baseURL, maxRetries: 0 });
  const machinesOf = (sessionId: string) => [...e2b.machines.machines.values()].filter((m) => m.labels['oma-session'] === sessionId);

  beforeAll(async () => {
    await e2b.start();
    model = await startFakeModel();
    db = await createTestDatabase('postgres');
    a = await startChildServer(db, { env: { ...env(), INSTANCE_ID: 'inst-a' } });
    b = await startChildServer(db, { env: { ...env(), INSTANCE_ID: 'inst-b' }, dataDir: siblingDataDir(db, 'b') });
  }, 120_000);

  afterAll(async () => {
    await a?.kill();
    await b?.kill();
    await model?.close();
    await e2b.close();
    await db?.drop();
  });

  it('runs the tools in the remote sandbox, and the other instance continues a session with the same sandbox when the first dies', async () => {
    const health = (await (await fetch(`${a!.baseURL}/health`)).json()) as { backends: { sandbox: string } };
    expect(health.backends.sandbox).toBe('e2b');
    const marker = uniqueSleep();
    model.script([
      reply(toolUse('bash', { command: 'echo one > f.txt && pwd && cat f.txt' })),
      reply(toolUse('bash', { command: `sleep ${marker}` })),
      reply(toolUse('bash', { command: 'cat f.txt' })),
      reply(text('done')),
    ]);
    const agent = await client(a!).beta.agents.create({ name: 'remote', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await client(a!).beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await client(a!).beta.sessions.events.send(session.id, { events: [userMessage('go')] });
    await waitFor(async () => (await findHostProcesses(`sleep\0${marker}`)).length > 0, { message: 'the sleep to run in the remote sandbox', timeoutMs: 60_000 });
    const [machine] = machinesOf(session.id);
    expect(machine.labels['oma-instance']).toBe('inst-a');
    await a!.kill();
    a = undefined;
    // B takes the expired lease, reports the interrupted tool, and the next tool finds f.txt.
    const events = await waitForIdle(client(b!), session.id, 1, 90_000);
    model.assertDone();
    const results = toolResults(events);
    expect(results[0]).toBe('/workspace\none');
    expect(results[1]).toContain('The server restarted while "bash" was running');
    expect(results[2]).toBe('one');
    expect(machinesOf(session.id).map((m) => m.id)).toEqual([machine.id]);

    await client(b!).beta.sessions.delete(session.id);
    expect(machinesOf(session.id)).toEqual([]);
  }, 180_000);

  it('archiving a session deletes its sandbox at the provider', async () => {
    model.script([reply(toolUse('bash', { command: 'true' })), reply(text('ok'))]);
    const agent = await client(b!).beta.agents.create({ name: 'remote-archive', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await client(b!).beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await client(b!).beta.sessions.events.send(session.id, { events: [userMessage('go')] });
    await waitForIdle(client(b!), session.id, 1, 60_000);
    expect(machinesOf(session.id)).toHaveLength(1);
    await client(b!).beta.sessions.archive(session.id);
    expect(machinesOf(session.id)).toEqual([]);
  }, 120_000);
});
