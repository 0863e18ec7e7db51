/**
 * kill -9 of the real server process while an MCP tool call is in flight, on both backends: after
 * the restart the call is not sent again (an MCP call is a side effect); the model is told the
 * server restarted and the call may or may not have completed; the MCP connection is re-established
 * for the rest of the turn. The bearer token appears nowhere in the server's output.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel } from '../support/fake-model/index.ts';
import { startFakeMcp, type FakeMcp } from '../support/fake-mcp.ts';
import { listEvents, userMessage, waitForIdle } from '../support/session-helpers.ts';

const TOKEN = 'mcp_crash_bearer_7e21c0';

describe.each(BACKENDS)('MCP call interrupted by kill -9 (%s)', (backend) => {
  let db: TestDatabase;
  let fake: FakeModel;
  let mcp: FakeMcp;
  let server: ChildServer | undefined;
  const env = () => ({ ANTHROPIC_BASE_URL: fake.url, VAULT_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', LOG_LEVEL: 'debug' });
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    fake = await startFakeModel();
    mcp = await startFakeMcp({ acceptedTokens: new Set([TOKEN]) });
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
    await mcp?.close();
    await fake?.close();
    await db?.drop();
  }, 30_000);

  it('is not repeated after the restart: the model gets an is_error result saying the server restarted', async () => {
    server = await startChildServer(db, { env: env(), readyTimeoutMs: 90_000 });
    const client = new Anthropic({ apiKey: 'unused', baseURL: server.baseURL, maxRetries: 0 });
    const vault = await client.beta.vaults.create({ display_name: 'mcp' });
    await client.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', token: TOKEN, mcp_server_url: `${mcp.url}/mcp` } });
    const agent = await client.beta.agents.create({
      name: 'slow', model: 'claude-sonnet-4-6',
      mcp_servers: [{ type: 'url', name: 'jobs', url: `${mcp.url}/mcp` }],
      tools: [{ type: 'mcp_toolset', mcp_server_name: 'jobs', default_config: { permission_policy: { type: 'always_allow' } } }],
    } as never);
    const session = await client.beta.sessions.create({ agent: agent.id, vault_ids: [vault.id] } as Anthropic.Beta.Sessions.SessionCreateParams);
    fake.script([
      reply(toolUse('slow_task', {})),
      expecting(reply(text('It may or may not have run; I will check.')), (r) => {
        const last = r.body.messages.at(-1)!.content as { type: string; is_error?: boolean; content?: { text: string }[] }[];
        expect(last[0]).toMatchObject({ type: 'tool_result', is_error: true });
        expect(last[0]!.content![0]!.text).toContain('restarted');
        expect((r.body.tools ?? []).map((t) => (t as { name: string }).name)).toContain('slow_task');
      }),
    ]);
    await client.beta.sessions.events.send(session.id, { events: [userMessage('Run the slow task')] });
    await mcp.waitForSlowCall(1);
    const initializesBefore = mcp.initializes;
    const firstOutput = server.output();
    await server.kill();

    server = await startChildServer(db, { env: env(), port: server.port, readyTimeoutMs: 90_000 });
    const events = await waitForIdle(client, session.id, 1, 60_000);
    expect(mcp.calls.slow_task).toBe(1);
    const results = events.filter((e) => e.type === 'agent.mcp_tool_result');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ is_error: true });
    expect(JSON.stringify(results[0]!.content)).toMatch(/The server restarted while MCP tool \\"slow_task\\" of server \\"jobs\\" was running\. It may or may not have completed/);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    // The connection was re-established after the restart (for the model request that followed).
    expect(mcp.initializes).toBe(initializesBefore + 1);
    const all = await fetch(`${server.baseURL}/v1/sessions/${session.id}/events?include_extensions=true&limit=1000`).then((r) => r.json()) as { data: { type: string; rerun?: boolean; reason?: string }[] };
    expect(all.data.find((e) => e.type === 'oma.turn_recovered')).toMatchObject({ rerun: false });
    fake.assertDone();
    for (const output of [firstOutput, server.output()]) expect(output).not.toContain(TOKEN);
    expect(JSON.stringify(await listEvents(client, session.id))).not.toContain(TOKEN);
    mcp.releaseSlow();
  }, 240_000);
});
