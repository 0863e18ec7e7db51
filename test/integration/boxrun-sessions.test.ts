/**
 * SANDBOX_PROVIDER=boxrun end to end, on both backends: the real server boots against the
 * loopback `boxlite serve`, a session's agent runs its tools (bash, write, read) in the session's
 * box, and deleting the session removes the box. /health names the provider.
 */
import { existsSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { reply, startFakeModel, text, toolUse, type FakeModel } from '../support/fake-model/index.ts';
import { startFakeBoxrun, type FakeBoxrun } from '../support/fake-boxrun/server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';

const API_KEY = 'boxrun-e2e-key-0b7a';
const toolResults = (events: WireEvent[]) =>
  events.filter((event) => event.type === 'agent.tool_result').map((event) => ((event.content as { text?: string }[]) ?? []).map((block) => block.text ?? '').join(''));

describe.each(BACKENDS)('SANDBOX_PROVIDER=boxrun end to end (%s)', (backend) => {
  let model: FakeModel;
  let boxrun: FakeBoxrun;
  let t: TestServer;

  beforeAll(async () => {
    model = await startFakeModel();
    boxrun = await startFakeBoxrun({ apiKey: API_KEY });
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: model.url, SANDBOX_PROVIDER: 'boxrun', BOXRUN_URL: boxrun.url, BOXRUN_API_KEY: API_KEY } });
  });

  afterAll(async () => {
    await t?.stop();
    await boxrun?.close();
    await model?.close();
  });

  it('runs the agent\'s tools in the session\'s box and removes the box with the session', async () => {
    const health = (await (await fetch(`${t.baseURL}/health`)).json()) as { backends: { sandbox: string } };
    expect(health.backends.sandbox).toBe('boxrun');
    model.script([
      reply(toolUse('write', { file_path: 'notes/plan.md', content: 'step one\n' })),
      reply(toolUse('bash', { command: 'cat notes/plan.md; pwd; echo "$HOME"' })),
      reply(toolUse('read', { file_path: 'notes/plan.md' })),
      reply(text('done')),
    ]);
    const agent = await t.client.beta.agents.create({ name: 'boxed', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await t.client.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('work in the box')] });
    const events = await waitForIdle(t.client, session.id, 1, 60_000);
    model.assertDone();
    const results = toolResults(events);
    expect(results[1]).toBe('step one\n/workspace\n/workspace');
    expect(results[2]).toContain('step one');
    const boxes = [...boxrun.boxes.values()].filter((box) => box.name?.split('.')[2] === session.id);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.name).toContain('.tenant_test');
    expect(existsSync(boxes[0]!.machine.hostPath('/workspace/notes/plan.md')!)).toBe(true);

    await t.client.beta.sessions.delete(session.id);
    expect(boxrun.boxes.has(boxes[0]!.box_id)).toBe(false);
  });
});
