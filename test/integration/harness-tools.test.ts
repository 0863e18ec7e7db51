import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import type { TestServer } from '../support/server.ts';
import { backendProviderPairs, sessionWorkdir, startSandboxTestServer } from '../support/sandbox-providers.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel } from '../support/fake-model/index.ts';
import { types, userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * What the tool sequence of the "same results" test returns, with the session's working directory
 * written as <workdir>. Every provider must produce exactly this.
 */
const EXPECTED_TOOL_RESULTS = [
  { is_error: false, text: '<workdir>/src' },
  { is_error: false, text: "hello from <workdir>/src\nls: cannot access '/nonexistent-dir': No such file or directory\nexit code: 2" },
  { is_error: false, text: 'Wrote 11 bytes to notes/a.txt.' },
  { is_error: false, text: 'Wrote 10 bytes to notes/b.md.' },
  { is_error: false, text: 'Replaced 1 occurrence in notes/a.txt.' },
  { is_error: false, text: '     1\talpha\n     2\tgamma' },
  { is_error: true, text: 'File does not exist: notes/missing.txt' },
  // Most recently modified first: the edit touched a.txt after b.md was written.
  { is_error: false, text: '<workdir>/notes/a.txt\n<workdir>/notes/b.md' },
  { is_error: false, text: '<workdir>/notes/a.txt:2:gamma' },
  { is_error: false, text: '<workdir>/notes/b.md:1:gamma ray' },
  // The shell is still in src/ (cwd and GREETING persisted across the file tools).
  { is_error: false, text: '2\nhello\n<workdir>/src' },
];

const toolResultText = (e: WireEvent) => ((e.content as { text?: string }[]) ?? []).map((b) => b.text ?? '').join('');

describe.each(backendProviderPairs(BACKENDS))('harness with built-in tools on $backend, $provider sandbox', ({ backend, provider }) => {
  let fake: FakeModel;
  let t: TestServer;
  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startSandboxTestServer(backend, provider, { env: { ANTHROPIC_BASE_URL: fake.url } });
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  async function session(configs: unknown[] = []) {
    const agent = await t.client.beta.agents.create({ name: 'tools', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401', configs } as never] });
    return t.client.beta.sessions.create({ agent: agent.id } as Anthropic.Beta.Sessions.SessionCreateParams);
  }

  it('answers "Run uname -a" with tool_use → tool_result → message → idle', async () => {
    fake.script([
      expecting(reply(toolUse('bash', { command: 'uname -a' })), (r) => {
        const names = (r.body.tools ?? []).map((x) => (x as { name: string }).name);
        expect(names).toEqual(expect.arrayContaining(['bash', 'read', 'write', 'edit', 'glob', 'grep']));
      }),
      expecting(reply(text('It is Linux.')), (r) => {
        expect(JSON.stringify(r.body.messages.at(-1))).toContain('Linux');
      }),
    ]);
    const s = await session();
    const stream = await t.client.beta.sessions.events.stream(s.id);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('Run uname -a')] });
    const seen: string[] = [];
    for await (const e of stream) {
      seen.push(e.type);
      if (e.type === 'session.status_idle') break;
    }
    const order = ['agent.tool_use', 'agent.tool_result', 'agent.message', 'session.status_idle'].map((x) => seen.indexOf(x));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const events = await waitForIdle(t.client, s.id);
    const use = events.find((e) => e.type === 'agent.tool_use')!;
    expect(use).toMatchObject({ name: 'bash', evaluated_permission: 'allow', evaluation: { type: 'always_allow' } });
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.tool_use_id).toBe(use.id);
    expect(toolResultText(result)).toContain('Linux');
  });

  it('asks before an always_ask tool, runs it on allow', async () => {
    fake.script([reply(toolUse('bash', { command: 'echo confirmed-run' })), reply(text('ok'))]);
    const s = await session([{ name: 'bash', permission_policy: { type: 'always_ask' } }]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const waiting = await waitForIdle(t.client, s.id);
    const use = waiting.find((e) => e.type === 'agent.tool_use')!;
    expect(use).toMatchObject({ evaluated_permission: 'ask', evaluation: { type: 'always_ask' } });
    expect(waiting.at(-1)!.stop_reason).toEqual({ type: 'requires_action', event_ids: [use.id] });
    expect(types(waiting)).not.toContain('agent.tool_result');
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }] });
    const done = await waitForIdle(t.client, s.id, 2);
    expect(toolResultText(done.find((e) => e.type === 'agent.tool_result')!)).toContain('confirmed-run');
    expect(done.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });

  it('does not run a denied call and tells the model why', async () => {
    fake.script([
      reply(toolUse('bash', { command: 'touch should-not-exist' })),
      expecting(reply(text('understood')), (r) => {
        const last = JSON.stringify(r.body.messages.at(-1));
        expect(last).toContain('use ls instead');
        expect(last).toContain('"is_error":true');
      }),
    ]);
    const s = await session([{ name: 'bash', permission_policy: { type: 'always_ask' } }]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const waiting = await waitForIdle(t.client, s.id);
    const use = waiting.find((e) => e.type === 'agent.tool_use')!;
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'use ls instead' }] });
    const done = await waitForIdle(t.client, s.id, 2);
    expect(types(done)).not.toContain('agent.tool_result');
    expect(done.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });

  it('refuses a disabled tool without running it', async () => {
    fake.script([reply(toolUse('bash', { command: 'echo nope' })), reply(text('fine'))]);
    const s = await session([{ name: 'bash', enabled: false }]);
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('go')] });
    const events = await waitForIdle(t.client, s.id);
    expect(events.find((e) => e.type === 'agent.tool_use')).toMatchObject({ evaluated_permission: 'deny' });
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBe(true);
    expect(toolResultText(result)).not.toContain('nope\n');
  });

  it('runs bash, write, edit, read, glob and grep with the same results on every sandbox', async () => {
    fake.script([
      reply(toolUse('bash', { command: 'mkdir -p src && cd src && export GREETING=hello && pwd' })),
      reply(toolUse('bash', { command: 'echo "$GREETING from $(pwd)"; ls /nonexistent-dir' })),
      reply(toolUse('write', { file_path: 'notes/a.txt', content: 'alpha\nbeta\n' })),
      reply(toolUse('write', { file_path: 'notes/b.md', content: 'gamma ray\n' })),
      reply(toolUse('edit', { file_path: 'notes/a.txt', old_string: 'beta', new_string: 'gamma' })),
      reply(toolUse('read', { file_path: 'notes/a.txt' })),
      reply(toolUse('read', { file_path: 'notes/missing.txt' })),
      reply(toolUse('glob', { pattern: '**/*.{txt,md}' })),
      reply(toolUse('grep', { pattern: 'gam+a', glob: '*.txt' })),
      reply(toolUse('grep', { pattern: 'ray$', path: 'notes' })),
      reply(toolUse('bash', { command: 'wc -l < ../notes/a.txt; echo "$GREETING"; pwd' })),
      reply(text('all done')),
    ]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('files')] });
    const events = await waitForIdle(t.client, s.id);
    const workdir = sessionWorkdir(t, provider, s.id);
    const results = events
      .filter((e) => e.type === 'agent.tool_result')
      .map((r) => ({ is_error: r.is_error, text: toolResultText(r).replaceAll(workdir, '<workdir>') }));
    expect(results).toEqual(EXPECTED_TOOL_RESULTS);
  });

  it('interrupt kills a long tool quickly and idles with end_turn', async () => {
    fake.script([reply(toolUse('bash', { command: 'sleep 30; echo finished' }))]);
    const s = await session();
    await t.client.beta.sessions.events.send(s.id, { events: [userMessage('slow')] });
    await waitFor(async () => (await t.client.beta.sessions.events.list(s.id, { include_extensions: 'true' } as never)).data.some((e) => (e.type as string) === 'oma.tool_execution_started'));
    await t.client.beta.sessions.events.send(s.id, { events: [{ type: 'user.interrupt' }] });
    // The bash command sleeps 30 s; reaching idle within waitForIdle's bound proves it was killed.
    const events = await waitForIdle(t.client, s.id, 1, 15_000);
    const result = events.find((e) => e.type === 'agent.tool_result')!;
    expect(result.is_error).toBe(true);
    expect(toolResultText(result)).not.toContain('finished');
    expect(events.at(-1)!.stop_reason).toEqual({ type: 'end_turn' });
  });
});
