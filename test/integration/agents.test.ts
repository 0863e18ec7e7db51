import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';

const MODEL = 'claude-sonnet-4-6';

describe.each(BACKENDS)('agents API (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates an agent with a bare-string model and resolves model and toolset', async () => {
    const agent = await t.client.beta.agents.create({
      name: 'coder',
      model: MODEL,
      tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', enabled: false }] }],
    });
    expect(agent.id).toMatch(/^agent_/);
    expect(agent.type).toBe('agent');
    expect(agent.version).toBe(1);
    expect(agent.model).toMatchObject({ id: MODEL, speed: 'standard', effort: { type: 'high' } });
    expect(agent.mcp_servers).toEqual([]);
    expect(agent.skills).toEqual([]);
    expect(agent.metadata).toEqual({});
    expect(agent.archived_at).toBeNull();
    const toolset = agent.tools[0] as any;
    expect(toolset.type).toBe('agent_toolset_20260401');
    expect(toolset.default_config.permission_policy.type).toBe('always_allow');
    expect(toolset.default_config.enabled).toBe(true);
    expect(Array.isArray(toolset.configs)).toBe(true);
    const bash = toolset.configs.find((c: any) => c.name === 'bash');
    expect(bash).toMatchObject({ name: 'bash', enabled: false });
    expect(bash.permission_policy?.type).toBe('always_allow');
    const got = await t.client.beta.agents.retrieve(agent.id);
    expect(got).toEqual(agent);
  });

  it('versions: update, stale version conflict, no-op, past versions, /versions', async () => {
    const agent = await t.client.beta.agents.create({ name: 'v', model: MODEL, system: 'one' });
    const v2 = await t.client.beta.agents.update(agent.id, { system: 'two' } as any);
    expect(v2.version).toBe(2);
    expect(v2.system).toBe('two');

    const err = await t.client.beta.agents.update(agent.id, { version: 1, system: 'three' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.ConflictError);
    const conflict = err as InstanceType<typeof Anthropic.ConflictError>;
    expect(conflict.status).toBe(409);
    expect(conflict.headers?.get('x-should-retry')).toBe('false');
    expect((conflict.error as any).type).toBe('error');
    expect((conflict.error as any).error.type).toBe('conflict_error');
    expect(conflict.requestID).toMatch(/^req_/);

    const same = await t.client.beta.agents.update(agent.id, { version: 2, system: 'two' });
    expect(same.version).toBe(2);
    expect(same.updated_at).toBe(v2.updated_at);

    const old = await t.client.beta.agents.retrieve(agent.id, { version: 1 });
    expect(old.version).toBe(1);
    expect(old.system).toBe('one');
    const latest = await t.client.beta.agents.retrieve(agent.id);
    expect(latest.system).toBe('two');

    const versions: number[] = [];
    for await (const v of t.client.beta.agents.versions.list(agent.id)) versions.push(v.version);
    expect(versions.sort()).toEqual([1, 2]);
  });

  it('archive hides the agent from lists unless include_archived=true', async () => {
    const agent = await t.client.beta.agents.create({ name: 'to-archive', model: MODEL });
    const archived = await t.client.beta.agents.archive(agent.id);
    expect(archived.archived_at).toEqual(expect.any(String));
    expect(Number.isNaN(Date.parse(archived.archived_at!))).toBe(false);
    const visible: string[] = [];
    for await (const a of t.client.beta.agents.list()) visible.push(a.id);
    expect(visible).not.toContain(agent.id);
    const all: string[] = [];
    for await (const a of t.client.beta.agents.list({ include_archived: true })) all.push(a.id);
    expect(all).toContain(agent.id);
    expectError(await raw(t.baseURL, 'POST', `/v1/agents/${agent.id}`, { apiKey: t.apiKey, body: '{"name":"again"}' }), 400, 'invalid_request_error', /archived/);
    const env = await t.client.beta.environments.create({ name: `arch-${Date.now()}` });
    const err = await t.client.beta.sessions.create({ agent: agent.id, environment_id: env.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as any).error.error.message).toMatch(/archived/);
  });

  it('paginates with limit=1 through every agent; the last page has next_page null', async () => {
    const tenant = await t.clientForTenant(`pager_${backend}`);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await tenant.beta.agents.create({ name: `p${i}`, model: MODEL })).id);
    let page = await tenant.beta.agents.list({ limit: 1 });
    const seen: string[] = [];
    const cursors: (string | null)[] = [];
    for (;;) {
      expect(page.data.length).toBe(1);
      seen.push(...page.data.map((a) => a.id));
      const next = (page as any).next_page as string | null;
      cursors.push(next);
      if (!page.hasNextPage()) break;
      page = await page.getNextPage();
    }
    expect(seen.sort()).toEqual([...ids].sort());
    expect(cursors.at(-1)).toBeNull();
    const walked: string[] = [];
    for await (const a of tenant.beta.agents.list({ limit: 1 })) walked.push(a.id);
    expect(walked.sort()).toEqual([...ids].sort());
  });

  it('rejects mcp_servers not referenced by an mcp_toolset', async () => {
    const err = await t.client.beta.agents
      .create({ name: 'mcp', model: MODEL, mcp_servers: [{ type: 'url', name: 'gh', url: 'https://example.com/mcp' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as any).error.error.type).toBe('invalid_request_error');
    expect((err as any).error.error.message).toMatch(/gh/);
    const ok = await t.client.beta.agents.create({
      name: 'mcp-ok',
      model: MODEL,
      mcp_servers: [{ type: 'url', name: 'gh', url: 'https://example.com/mcp' }],
      tools: [{ type: 'mcp_toolset', mcp_server_name: 'gh' }],
    });
    expect(ok.mcp_servers).toEqual([{ type: 'url', name: 'gh', url: 'https://example.com/mcp' }]);
  });

  it('stale version answers with the conflict envelope on the wire', async () => {
    const agent = await t.client.beta.agents.create({ name: 'wire', model: MODEL });
    await t.client.beta.agents.update(agent.id, { version: 1, name: 'wire2' });
    const res = await raw(t.baseURL, 'POST', `/v1/agents/${agent.id}`, { apiKey: t.apiKey, body: JSON.stringify({ version: 1, name: 'x' }) });
    expectError(res, 409, 'conflict_error');
    expect(res.headers.get('x-should-retry')).toBe('false');
  });
});
