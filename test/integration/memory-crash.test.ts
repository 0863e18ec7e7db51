/**
 * kill -9 between an agent's memory write and its tool result: after the restart the change is a
 * memory version exactly once (recovery syncs the store before committing the "server restarted"
 * result), and a later sync writes nothing again. Real server processes, both backends, both
 * sandbox providers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { useCrashableServer } from '../support/crashable-server.ts';
import { backendProviderPairs } from '../support/sandbox-providers.ts';
import { reply, text, toolUse, expecting } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

describe.each(backendProviderPairs(BACKENDS))('memory writes across kill -9 ($backend, $provider)', ({ backend, provider }) => {
  const t = useCrashableServer(backend, { env: { SANDBOX_PROVIDER: provider }, readyTimeoutMs: 90_000, traversableDataDir: true });

  it('a write cut off before its result is saved once, and never again', async () => {
    const store = await t.client().beta.memoryStores.create({ name: 'crash' });
    const agent = await t.client().beta.agents.create({ name: 'crasher', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await t.client().beta.sessions.create({ agent: agent.id, resources: [{ type: 'memory_store', memory_store_id: store.id }] } as Anthropic.Beta.Sessions.SessionCreateParams);
    t.fake.script([
      reply(toolUse('bash', { command: 'printf "crash-safe" > "$OMA_MEMORY_DIR/crash/notes.md"; touch written; sleep 60' })),
      expecting(reply(text('recovered')), (r) => (JSON.stringify(r.body.messages.at(-1)).includes('restarted') ? undefined : `no restart notice: ${JSON.stringify(r.body.messages.at(-1))}`)),
    ]);
    await t.client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    await waitFor(() => existsSync(join(t.db.dataDir, 'sandboxes', s.id, 'written')), { timeoutMs: 20_000, message: 'the command never wrote' });
    await t.restart();
    await waitForIdle(t.client(), s.id, 1, 30_000);
    const versions = async () => (await t.client().beta.memoryStores.memoryVersions.list(store.id, { view: 'full' })).data.map((v) => [v.operation, v.path, v.content, v.created_by]);
    const once = [['created', '/notes.md', 'crash-safe', { type: 'session_actor', session_id: s.id }]];
    expect(await versions()).toEqual(once);
    const events = (await t.client().beta.sessions.events.list(s.id, { limit: 1000 })).data;
    const result = events.find((e) => e.type === 'agent.tool_result') as { is_error: boolean; content: unknown } | undefined;
    expect(result?.is_error).toBe(true);

    // Another mutating call syncs the same directory again: nothing new is written.
    t.fake.script([reply(toolUse('bash', { command: 'cat "$OMA_MEMORY_DIR/crash/notes.md"' })), reply(text('same'))]);
    await t.client().beta.sessions.events.send(s.id, { events: [userMessage('again')] });
    await waitForIdle(t.client(), s.id, 2, 30_000);
    expect(await versions()).toEqual(once);
    t.fake.assertDone();
  }, 240_000);
});
