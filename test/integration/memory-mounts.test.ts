/**
 * Memory stores mounted into sandboxes, end to end with the scripted model: an agent writes
 * /mnt/memory/<slug>/… through bash and the write tool, the API shows the memories and versions by
 * that session (`session_actor`), a later session of another agent reads them; read-only mounts,
 * deletions, a concurrent API write, on every backend × provider × blob store.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import type { TestServer } from '../support/server.ts';
import { backendProviderPairs, sessionHostDirectory, startSandboxTestServer } from '../support/sandbox-providers.ts';
import { waitFor } from '../support/wait-for.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel, type RecordedRequest } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { startTestS3, type TestS3 } from '../support/s3-server.ts';

const CASES = backendProviderPairs(BACKENDS).flatMap((pair) => (['local', 's3'] as const).map((blobs) => ({ ...pair, blobs })));
const MODEL = 'claude-sonnet-4-6';

/** The text of the tool result the model was just sent. */
function lastToolResult(r: RecordedRequest): string {
  return JSON.stringify(r.body.messages.at(-1));
}

const toolResults = (events: WireEvent[]) => events.filter((e) => e.type === 'agent.tool_result').map((e) => ({ is_error: e.is_error, text: JSON.stringify(e.content) }));

describe.each(CASES)('memory mounted in the sandbox ($backend, $provider, $blobs blobs)', ({ backend, provider, blobs }) => {
  let fake: FakeModel;
  let s3: TestS3 | undefined;
  let t: TestServer;
  beforeAll(async () => {
    fake = await startFakeModel();
    if (blobs === 's3') s3 = await startTestS3();
    t = await startSandboxTestServer(backend, provider, { env: { ANTHROPIC_BASE_URL: fake.url, ...(s3?.env ?? {}) } });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await s3?.close();
    await fake?.close();
  });

  const agent = async (name: string) => (await t.client.beta.agents.create({ name, model: MODEL, tools: [{ type: 'agent_toolset_20260401' }] })).id;
  const session = (agentId: string, resources: unknown[]) => t.client.beta.sessions.create({ agent: agentId, resources } as Anthropic.Beta.Sessions.SessionCreateParams);
  const run = async (sessionId: string, count = 1) => {
    await t.client.beta.sessions.events.send(sessionId, { events: [userMessage('go')] });
    const events = await waitForIdle(t.client, sessionId, count, 30_000);
    return events;
  };
  const memories = async (storeId: string) => {
    const out: Record<string, string> = {};
    for (const m of (await t.client.beta.memoryStores.memories.list(storeId, { view: 'full' })).data) out[m.path] = (m as { content: string }).content;
    return out;
  };

  it('an agent writes notes through bash and the write tool; the API shows them as versions by the session; another agent reads them', async () => {
    const store = await t.client.beta.memoryStores.create({ name: 'Team Notes', description: 'shared notes' });
    const writer = await session(await agent('writer'), [{ type: 'memory_store', memory_store_id: store.id }]);
    fake.script([
      reply(toolUse('bash', { command: 'mkdir -p "$OMA_MEMORY_DIR/team-notes/sub" && printf "hello from bash\\n" > "$OMA_MEMORY_DIR/team-notes/notes.md" && ls "$OMA_MEMORY_DIR/team-notes"' })),
      expecting(reply(toolUse('write', { file_path: '/mnt/memory/team-notes/sub/todo.md', content: 'written by the write tool' })), (r) => (lastToolResult(r).includes('notes.md') ? undefined : `ls did not show notes.md: ${lastToolResult(r)}`)),
      reply(text('saved')),
    ]);
    const events = await run(writer.id);
    expect(toolResults(events).map((r) => r.is_error)).toEqual([false, false]);
    expect(await memories(store.id)).toEqual({ '/notes.md': 'hello from bash\n', '/sub/todo.md': 'written by the write tool' });
    const versions = (await t.client.beta.memoryStores.memoryVersions.list(store.id, { session_id: writer.id })).data;
    expect(versions.map((v) => [v.operation, v.path, v.created_by])).toEqual([
      ['created', '/sub/todo.md', { type: 'session_actor', session_id: writer.id }],
      ['created', '/notes.md', { type: 'session_actor', session_id: writer.id }],
    ]);
    expect((await t.client.beta.sessions.list({ memory_store_id: store.id })).data.map((s) => s.id)).toEqual([writer.id]);

    const reader = await session(await agent('reader'), [{ type: 'memory_store', memory_store_id: store.id, access: 'read_only' }]);
    fake.script([
      reply(toolUse('read', { file_path: '/mnt/memory/team-notes/notes.md' })),
      expecting(reply(toolUse('bash', { command: 'cat "$OMA_MEMORY_DIR/team-notes/sub/todo.md"' })), (r) => (lastToolResult(r).includes('hello from bash') ? undefined : `read did not return the note: ${lastToolResult(r)}`)),
      expecting(reply(toolUse('grep', { pattern: 'write tool', path: '/mnt/memory/team-notes' })), (r) => (lastToolResult(r).includes('written by the write tool') ? undefined : `cat did not return the todo: ${lastToolResult(r)}`)),
      expecting(reply(toolUse('write', { file_path: '/mnt/memory/team-notes/notes.md', content: 'overwritten by a reader' })), (r) => (lastToolResult(r).includes('/mnt/memory/team-notes/sub/todo.md') ? undefined : `grep did not show the sandbox path: ${lastToolResult(r)}`)),
      reply(text('read it')),
    ]);
    const readEvents = await run(reader.id);
    expect(toolResults(readEvents).map((r) => r.is_error)).toEqual([false, false, false, true]);
    expect(await memories(store.id)).toEqual({ '/notes.md': 'hello from bash\n', '/sub/todo.md': 'written by the write tool' });
    expect((await t.client.beta.memoryStores.memoryVersions.list(store.id, { session_id: reader.id })).data).toEqual([]);
  });

  it('commits deletions, and a write over a version the session never read becomes a new version with a notice', async () => {
    const store = await t.client.beta.memoryStores.create({ name: 'scratch' });
    const keep = await t.client.beta.memoryStores.memories.create(store.id, { path: '/keep.md', content: 'v1' });
    await t.client.beta.memoryStores.memories.create(store.id, { path: '/gone.md', content: 'bye' });
    const s = await session(await agent('editor'), [{ type: 'memory_store', memory_store_id: store.id }]);
    // The command marks that it runs (the store was materialized with v1), waits until the test has
    // changed keep.md through the API, then appends to the v1 it read and deletes gone.md.
    fake.script([
      reply(toolUse('bash', { command: 'cat "$OMA_MEMORY_DIR/scratch/keep.md"; touch started; while [ ! -e go ]; do sleep 0.05; done; echo "session edit" >> "$OMA_MEMORY_DIR/scratch/keep.md"; rm "$OMA_MEMORY_DIR/scratch/gone.md"' })),
      expecting(reply(text('done')), (r) => (lastToolResult(r).includes('another writer') && lastToolResult(r).includes('v1') ? undefined : `no notice about the concurrent write: ${lastToolResult(r)}`)),
    ]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const dir = sessionHostDirectory(t, s.id);
    await waitFor(() => existsSync(join(dir, 'started')), { timeoutMs: 20_000, message: 'the command never started' });
    await t.client.beta.memoryStores.memories.update(keep.id, { memory_store_id: store.id, content: 'v2 from the API' });
    await writeFile(join(dir, 'go'), '');
    await waitForIdle(t.client, s.id, 1, 30_000);
    expect(await memories(store.id)).toEqual({ '/keep.md': 'v1session edit\n' });
    const history = (await t.client.beta.memoryStores.memoryVersions.list(store.id, { memory_id: keep.id, view: 'full' })).data;
    expect(history.map((v) => [v.operation, v.content, v.created_by?.type])).toEqual([
      ['modified', 'v1session edit\n', 'session_actor'],
      ['modified', 'v2 from the API', 'api_actor'],
      ['created', 'v1', 'api_actor'],
    ]);
    const deleted = (await t.client.beta.memoryStores.memoryVersions.list(store.id, { operation: 'deleted' })).data;
    expect(deleted.map((v) => [v.path, v.created_by])).toEqual([['/gone.md', { type: 'session_actor', session_id: s.id }]]);
  });
});
