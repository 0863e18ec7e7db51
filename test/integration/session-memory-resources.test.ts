import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll, afterEach } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { startFakeModel, expecting, text, type FakeModel } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';

const MODEL = 'claude-sonnet-4-6';

async function status(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError> | undefined;
  expect(err, 'the call should have failed').toBeInstanceOf(Anthropic.APIError);
  return { status: err!.status!, message: (err!.error as any).error.message };
}

describe.each(BACKENDS)('memory stores attached to sessions (%s)', (backend) => {
  let t: TestServer;
  // The SDK's type still wants environment_id; this server gives sessions the tenant's default environment.
  const createSession = (body: object) => t.client.beta.sessions.create(body as Anthropic.Beta.Sessions.SessionCreateParams);
  let fake: FakeModel;
  let agentId: string;
  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url } });
    agentId = (await t.client.beta.agents.create({ name: 'rememberer', model: MODEL, system: 'You are careful.', tools: [{ type: 'agent_toolset_20260401' }] })).id;
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  it('attaches stores at create with a mount path from the name, snapshotting name and description', async () => {
    const prefs = await t.client.beta.memoryStores.create({ name: 'User Preferences!', description: 'likes and dislikes' });
    const twin = await t.client.beta.memoryStores.create({ name: 'user preferences' });
    const session = await createSession({
      agent: agentId,
      resources: [
        { type: 'memory_store', memory_store_id: prefs.id, access: 'read_only', instructions: 'Check before answering.' },
        { type: 'memory_store', memory_store_id: twin.id },
      ],
    });
    expect(session.resources).toEqual([
      expect.objectContaining({ type: 'memory_store', memory_store_id: prefs.id, access: 'read_only', instructions: 'Check before answering.', name: 'User Preferences!', description: 'likes and dislikes', mount_path: '/mnt/memory/user-preferences' }),
      expect.objectContaining({ type: 'memory_store', memory_store_id: twin.id, access: 'read_write', instructions: null, name: 'user preferences', description: '', mount_path: '/mnt/memory/user-preferences-2' }),
    ]);
    await t.client.beta.memoryStores.update(prefs.id, { name: 'Renamed', description: 'changed later' });
    const again = await t.client.beta.sessions.retrieve(session.id);
    expect(again.resources[0]).toMatchObject({ name: 'User Preferences!', description: 'likes and dislikes', mount_path: '/mnt/memory/user-preferences' });
  });

  it('refuses archived, foreign, duplicate, too many and unsupported resources with 4xx and writes nothing', async () => {
    const before = (await t.client.beta.sessions.list({ limit: 100 })).data.length;
    const archived = await t.client.beta.memoryStores.create({ name: 'old' });
    await t.client.beta.memoryStores.archive(archived.id);
    const ok = await t.client.beta.memoryStores.create({ name: 'ok' });
    const foreign = await (await t.clientForTenant('tenant_memory_foreign')).beta.memoryStores.create({ name: 'theirs' });
    const nine = await Promise.all(Array.from({ length: 9 }, (_, i) => t.client.beta.memoryStores.create({ name: `many ${i}` })));
    const create = (resources: unknown[]) => createSession({ agent: agentId, resources } as Anthropic.Beta.Sessions.SessionCreateParams);
    expect(await status(create([{ type: 'memory_store', memory_store_id: archived.id }]))).toMatchObject({ status: 400, message: expect.stringMatching(/archived/) });
    expect(await status(create([{ type: 'memory_store', memory_store_id: foreign.id }]))).toMatchObject({ status: 404 });
    expect(await status(create([{ type: 'memory_store', memory_store_id: ok.id }, { type: 'memory_store', memory_store_id: ok.id }]))).toMatchObject({ status: 400, message: expect.stringMatching(/twice/) });
    expect(await status(create(nine.map((s) => ({ type: 'memory_store', memory_store_id: s.id }))))).toMatchObject({ status: 400, message: expect.stringMatching(/at most 8/) });
    expect(await status(create([{ type: 'github_repository', url: 'https://gitlab.example/o/r' }]))).toMatchObject({ status: 400, message: expect.stringMatching(/GIT_BASE_URL/) });
    expect(await status(create([{ type: 'file', file_id: 'file_x' }]))).toMatchObject({ status: 404 });
    expect(await status(create([{ type: 'memory_store', memory_store_id: ok.id, instructions: 'x'.repeat(4097) }]))).toMatchObject({ status: 400 });
    const res = await raw(t.baseURL, 'POST', '/v1/sessions', { apiKey: t.apiKey, body: JSON.stringify({ agent: agentId, resources: [{ type: 'memory_store', memory_store_id: ok.id, mount_path: '/x' }] }) });
    expectError(res, 400, 'invalid_request_error', /resources\[0\].*mount_path/);
    const eight = await create(nine.slice(0, 8).map((s) => ({ type: 'memory_store', memory_store_id: s.id })));
    expect(eight.resources).toHaveLength(8);
    expect((await t.client.beta.sessions.list({ limit: 100 })).data.length).toBe(before + 1);
  });

  it('serves the session resources endpoints and lists the sessions that attached a store', async () => {
    const store = await t.client.beta.memoryStores.create({ name: 'shared notes' });
    const other = await t.client.beta.memoryStores.create({ name: 'other' });
    const a = await createSession({ agent: agentId, resources: [{ type: 'memory_store', memory_store_id: store.id }, { type: 'memory_store', memory_store_id: other.id }] });
    const b = await createSession({ agent: agentId, resources: [{ type: 'memory_store', memory_store_id: store.id }] });
    await createSession({ agent: agentId });
    const listed: unknown[] = [];
    for await (const r of t.client.beta.sessions.resources.list(a.id, { limit: 1 })) listed.push(r);
    expect(listed).toEqual(a.resources);
    const resourceId = (a.resources[1] as { id: string }).id;
    expect(resourceId).toMatch(/^sesrsc_/);
    expect(await t.client.beta.sessions.resources.retrieve(resourceId, { session_id: a.id })).toEqual(a.resources[1]);
    expect(await t.client.beta.sessions.resources.retrieve(other.id, { session_id: a.id })).toEqual(a.resources[1]);
    expect((await status(t.client.beta.sessions.resources.retrieve('sesrsc_nope', { session_id: a.id }))).status).toBe(404);
    expect(await status(t.client.beta.sessions.resources.add(a.id, { type: 'file', file_id: 'file_x' }))).toMatchObject({ status: 404 });
    expect(await status(t.client.beta.sessions.resources.delete(resourceId, { session_id: a.id }))).toMatchObject({ status: 400, message: expect.stringMatching(/stays mounted/) });
    expect(await status(t.client.beta.sessions.resources.update(resourceId, { session_id: a.id, authorization_token: 'x' }))).toMatchObject({ status: 400 });
    const using: string[] = [];
    for await (const s of t.client.beta.sessions.list({ memory_store_id: store.id })) using.push(s.id);
    expect(using.sort()).toEqual([a.id, b.id].sort());
    expect((await t.client.beta.sessions.list({ memory_store_id: other.id })).data.map((s) => s.id)).toEqual([a.id]);
    const foreign = await t.clientForTenant('tenant_memory_lister');
    expect((await foreign.beta.sessions.list({ memory_store_id: store.id })).data).toEqual([]);
    expect((await status(foreign.beta.sessions.resources.list(a.id))).status).toBe(404);
    await t.client.beta.sessions.delete(b.id);
    expect((await t.client.beta.sessions.list({ memory_store_id: store.id })).data.map((s) => s.id)).toEqual([a.id]);
  });

  it('adds a memory section per store to the system prompt: name, description, instructions and directory', async () => {
    const store = await t.client.beta.memoryStores.create({ name: 'Project Facts', description: 'facts about the project' });
    const session = await createSession({ agent: agentId, resources: [{ type: 'memory_store', memory_store_id: store.id, access: 'read_only', instructions: 'Never trust facts older than a week.' }] });
    fake.script([
      expecting(text('noted'), (r) => {
        const system = JSON.stringify(r.body.system);
        expect(system).toContain('You are careful.');
        for (const part of ['Project Facts', 'facts about the project', 'Never trust facts older than a week.', '/mnt/memory/project-facts', 'read-only', 'OMA_MEMORY_DIR']) expect(system).toContain(part);
      }),
    ]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('hello')] });
    await waitForIdle(t.client, session.id);
    const plain = await createSession({ agent: agentId });
    fake.script([expecting(text('plain'), (r) => (JSON.stringify(r.body.system).includes('# Memory') ? `memory section in a plain session: ${JSON.stringify(r.body.system)}` : undefined))]);
    await t.client.beta.sessions.events.send(plain.id, { events: [userMessage('hello')] });
    await waitForIdle(t.client, plain.id);
  });
});
