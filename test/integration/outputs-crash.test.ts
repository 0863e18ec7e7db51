/**
 * kill -9 while a turn's outputs are being collected: after the restart, recovery collects the rest
 * and ends the turn, and every output is a File exactly once. Real server processes, both backends,
 * both sandbox providers. The agent leaves many small files, so the collection (one transaction per
 * file) is long enough to be cut off once its first File exists.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { useCrashableServer } from '../support/crashable-server.ts';
import { backendProviderPairs } from '../support/sandbox-providers.ts';
import { reply, text, toolUse } from '../support/fake-model/index.ts';
import { listEvents, userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

const COUNT = 200;

describe.each(backendProviderPairs(BACKENDS))('outputs across kill -9 ($backend, $provider)', ({ backend, provider }) => {
  const t = useCrashableServer(backend, { env: { SANDBOX_PROVIDER: provider }, readyTimeoutMs: 90_000, traversableDataDir: true });
  const outputs = async (sessionId: string) => {
    const out: string[] = [];
    for await (const f of t.client().beta.files.list({ scope_id: sessionId, limit: 1000 })) out.push(f.filename);
    return out;
  };

  it('a collection cut off halfway is finished by recovery, without a duplicate', async () => {
    const agent = await t.client().beta.agents.create({ name: 'producer', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await t.client().beta.sessions.create({ agent: agent.id } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
    t.fake.script([
      reply(toolUse('bash', { command: `for i in $(seq -w 1 ${COUNT}); do echo "row $i" > "$OMA_SESSION_DIR/outputs/part-$i.txt"; done` })),
      reply(text('done')),
    ]);
    await t.client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const seen = await waitFor(async () => {
      const names = await outputs(s.id);
      return names.length > 0 ? names : undefined;
    }, { timeoutMs: 60_000, intervalMs: 5, message: 'no output was collected' });
    await t.server.kill();
    // The kill landed inside the collection (one File per transaction, in name order).
    expect(seen.length).toBeLessThan(COUNT);
    await t.start();
    await waitForIdle(t.client(), s.id, 1, 60_000);
    const names = await outputs(s.id);
    expect(names.length).toBe(COUNT);
    expect(new Set(names).size).toBe(COUNT);
    expect(names).toEqual(expect.arrayContaining(seen));
    const events = await listEvents(t.client(), s.id);
    expect(events.filter((e) => e.type === 'session.status_idle')).toHaveLength(1);
    t.fake.assertDone();
  }, 240_000);
});
