/**
 * kill -9 between an agent's memory write and its tool result: after the restart the change is a
 * memory version exactly once (recovery syncs the store before committing the "server restarted"
 * result), and a later sync writes nothing again. Real server processes, both backends, both
 * sandbox providers.
 */
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { backendProviderPairs } from '../support/sandbox-providers.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

describe.each(backendProviderPairs(BACKENDS))('memory writes across kill -9 ($backend, $provider)', ({ backend, provider }) => {
  let fake: FakeModel;
  let db: TestDatabase;
  let server: ChildServer | undefined;
  const env = () => ({ ANTHROPIC_BASE_URL: fake.url, SANDBOX_PROVIDER: provider });
  const client = () => new Anthropic({ apiKey: 'unused', baseURL: server!.baseURL, maxRetries: 0 });

  beforeAll(async () => {
    fake = await startFakeModel();
    db = await createTestDatabase(backend);
    // bwrap's session uids must be able to traverse the data directory.
    chmodSync(db.dataDir, 0o711);
    server = await startChildServer(db, { env: env(), readyTimeoutMs: 90_000 });
  }, 120_000);
  afterAll(async () => {
    await server?.kill();
    await fake?.close();
    await db?.drop();
  });

  it('a write cut off before its result is saved once, and never again', async () => {
    const store = await client().beta.memoryStores.create({ name: 'crash' });
    const agent = await client().beta.agents.create({ name: 'crasher', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await client().beta.sessions.create({ agent: agent.id, resources: [{ type: 'memory_store', memory_store_id: store.id }] } as Anthropic.Beta.Sessions.SessionCreateParams);
    fake.script([
      reply(toolUse('bash', { command: 'printf "crash-safe" > "$OMA_MEMORY_DIR/crash/notes.md"; touch written; sleep 60' })),
      expecting(reply(text('recovered')), (r) => (JSON.stringify(r.body.messages.at(-1)).includes('restarted') ? undefined : `no restart notice: ${JSON.stringify(r.body.messages.at(-1))}`)),
    ]);
    await client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    await waitFor(() => existsSync(join(db.dataDir, 'sandboxes', s.id, 'written')), { timeoutMs: 20_000, message: 'the command never wrote' });
    await server!.kill();
    server = await startChildServer(db, { env: env(), readyTimeoutMs: 90_000 });
    await waitForIdle(client(), s.id, 1, 30_000);
    const versions = async () => (await client().beta.memoryStores.memoryVersions.list(store.id, { view: 'full' })).data.map((v) => [v.operation, v.path, v.content, v.created_by]);
    const once = [['created', '/notes.md', 'crash-safe', { type: 'session_actor', session_id: s.id }]];
    expect(await versions()).toEqual(once);
    const events = (await client().beta.sessions.events.list(s.id, { limit: 1000 })).data;
    const result = events.find((e) => e.type === 'agent.tool_result') as { is_error: boolean; content: unknown } | undefined;
    expect(result?.is_error).toBe(true);

    // Another mutating call syncs the same directory again: nothing new is written.
    fake.script([reply(toolUse('bash', { command: 'cat "$OMA_MEMORY_DIR/crash/notes.md"' })), reply(text('same'))]);
    await client().beta.sessions.events.send(s.id, { events: [userMessage('again')] });
    await waitForIdle(client(), s.id, 2, 30_000);
    expect(await versions()).toEqual(once);
    fake.assertDone();
  }, 240_000);
});
