/**
 * kill -9 while a turn's outputs are being collected: after the restart, recovery collects the rest
 * and ends the turn, and every output is a File exactly once. Real server processes, both backends,
 * both sandbox providers. The agent leaves many small files, so the collection (one transaction per
 * file) is long enough to be cut off once its first File exists.
 */
import { chmodSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { backendProviderPairs } from '../support/sandbox-providers.ts';
import { startFakeModel, reply, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { listEvents, userMessage, waitForIdle } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

const COUNT = 200;

describe.each(backendProviderPairs(BACKENDS))('outputs across kill -9 ($backend, $provider)', ({ backend, provider }) => {
  let fake: FakeModel;
  let db: TestDatabase;
  let server: ChildServer | undefined;
  const env = () => ({ ANTHROPIC_BASE_URL: fake.url, SANDBOX_PROVIDER: provider });
  const client = () => new Anthropic({ apiKey: 'unused', baseURL: server!.baseURL, maxRetries: 0 });
  const outputs = async (sessionId: string) => {
    const out: string[] = [];
    for await (const f of client().beta.files.list({ scope_id: sessionId, limit: 1000 })) out.push(f.filename);
    return out;
  };

  beforeAll(async () => {
    fake = await startFakeModel();
    db = await createTestDatabase(backend);
    chmodSync(db.dataDir, 0o711);
    server = await startChildServer(db, { env: env(), readyTimeoutMs: 90_000 });
  }, 120_000);
  afterAll(async () => {
    await server?.kill();
    await fake?.close();
    await db?.drop();
  });

  it('a collection cut off halfway is finished by recovery, without a duplicate', async () => {
    const agent = await client().beta.agents.create({ name: 'producer', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const s = await client().beta.sessions.create({ agent: agent.id } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
    fake.script([
      reply(toolUse('bash', { command: `for i in $(seq -w 1 ${COUNT}); do echo "row $i" > "$OMA_SESSION_DIR/outputs/part-$i.txt"; done` })),
      reply(text('done')),
    ]);
    await client().beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const seen = await waitFor(async () => {
      const names = await outputs(s.id);
      return names.length > 0 ? names : undefined;
    }, { timeoutMs: 60_000, intervalMs: 5, message: 'no output was collected' });
    await server!.kill();
    // The kill landed inside the collection (one File per transaction, in name order).
    expect(seen.length).toBeLessThan(COUNT);
    server = await startChildServer(db, { env: env(), readyTimeoutMs: 90_000 });
    await waitForIdle(client(), s.id, 1, 60_000);
    const names = await outputs(s.id);
    expect(names.length).toBe(COUNT);
    expect(new Set(names).size).toBe(COUNT);
    expect(names).toEqual(expect.arrayContaining(seen));
    const events = await listEvents(client(), s.id);
    expect(events.filter((e) => e.type === 'session.status_idle')).toHaveLength(1);
    fake.assertDone();
  }, 240_000);
});
