/**
 * Request bodies are strict where the SDK's types are closed: a field the SDK does not define is a
 * 400 naming it (and nothing is written), while every field the SDK does define is accepted, or
 * refused with a reason when this server does not implement it.
 * Repro: `{"name":"a","model":"m","modle":"x"}` used to create an agent and drop `modle` silently.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { toFile } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { startFakeModel, reply, text, type FakeModel } from '../support/fake-model/index.ts';
import { listEvents, waitForIdle } from '../support/session-helpers.ts';

const MODEL = 'claude-sonnet-4-6';
const unknown = (path: string, field: string) => new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: unknown field\\(s\\): ${field}$`);

/** An agent body with every field of the SDK's AgentCreateParams (multiagent: null is the only value served). */
const FULL_AGENT: Anthropic.Beta.AgentCreateParams = {
  name: 'full',
  model: { id: MODEL, speed: 'standard', effort: { type: 'medium' }, inference_geo: 'us' },
  description: 'every field',
  system: 'be brief',
  execution_identity: { type: 'service_account' },
  mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com/sse' }],
  metadata: { team: 'api' },
  multiagent: null,
  skills: [{ type: 'anthropic', skill_id: 'xlsx', version: null }, { type: 'custom', skill_id: 'skill_1', version: '2' }],
  tools: [
    {
      type: 'agent_toolset_20260401',
      default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
      configs: [
        { name: 'bash', type: 'bash', enabled: true, permission_policy: { type: 'always_ask' } },
        {
          name: 'web_fetch', type: 'web_fetch', enabled: null, permission_policy: null, allowed_domains: ['example.com'], blocked_domains: ['bad.example.com'],
          max_content_tokens: 1000, url_sources: { user_input: 'all', client_tool_results: { type: 'none' }, server_tool_results: null },
        },
        { name: 'web_search', allowed_domains: [], blocked_domains: [], user_location: { type: 'approximate', city: 'Paris', country: 'FR', region: null, timezone: 'Europe/Paris' } },
      ],
    },
    { type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { enabled: false, permission_policy: { type: 'auto' } }, configs: [{ name: 'search', enabled: true, permission_policy: null }] },
    { type: 'custom', name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
  ],
};

describe.each(BACKENDS)('strict request bodies (%s)', (backend) => {
  let t: TestServer;
  let fake: FakeModel;
  let agentId: string;
  let envId: string;
  beforeAll(async () => {
    fake = await startFakeModel();
    t = await startTestServer(backend, { env: { ANTHROPIC_BASE_URL: fake.url } });
    agentId = (await t.client.beta.agents.create({ name: 'strict', model: MODEL, tools: [{ type: 'custom', name: 'ask_user', description: 'ask', input_schema: { type: 'object' } }] })).id;
    envId = (await t.client.beta.environments.create({ name: 'strict' })).id;
  });
  afterEach(() => fake.assertDone());
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });
  const post = (path: string, body: unknown) => raw(t.baseURL, 'POST', path, { apiKey: t.apiKey, body: JSON.stringify(body) });
  const count = async (path: string) => (await raw(t.baseURL, 'GET', `${path}?limit=1000&include_archived=true`, { apiKey: t.apiKey })).json.data.length as number;
  const newSession = async () => (await t.client.beta.sessions.create({ agent: agentId, environment_id: envId })).id;

  it('agents: an unknown field on create or update is 400 naming it, and nothing is written', async () => {
    const before = await count('/v1/agents');
    expectError(await post('/v1/agents', { name: 'a', model: MODEL, modle: 'x' }), 400, 'invalid_request_error', unknown('body', 'modle'));
    expectError(await post('/v1/agents', { name: 'a', model: { id: MODEL, sped: 'fast' } }), 400, 'invalid_request_error', unknown('body.model', 'sped'));
    expectError(await post('/v1/agents', { name: 'a', model: MODEL, tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', enabeld: false }] }] }), 400, 'invalid_request_error', unknown('body.tools[0].configs[0]', 'enabeld'));
    expectError(await post('/v1/agents', { name: 'a', model: MODEL, tools: [{ type: 'custom', name: 'x', description: 'd', input_schema: { type: 'object' }, strict: true }] }), 400, 'invalid_request_error', unknown('body.tools[0]', 'strict'));
    expectError(await post('/v1/agents', { name: 'a', model: MODEL, tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', allowed_domains: ['x.com'] }] }] }), 400, 'invalid_request_error', /body\.tools\[0\]\.configs\[0\]\.allowed_domains: is only valid in the config of web_fetch or web_search, not bash/);
    expect(await count('/v1/agents')).toBe(before);

    const agent = await t.client.beta.agents.create({ name: 'upd', model: MODEL });
    expectError(await post(`/v1/agents/${agent.id}`, { name: 'renamed', nmae: 'x' }), 400, 'invalid_request_error', unknown('body', 'nmae'));
    const after = await t.client.beta.agents.retrieve(agent.id);
    expect([after.version, after.name]).toEqual([agent.version, 'upd']);
  });

  it('agents: every SDK field is accepted on create and update; multiagent is refused with a reason', async () => {
    // A custom skill must exist in the tenant, and its version is a real one.
    const skill = await t.client.beta.skills.create({ files: [await toFile(Buffer.from('---\nname: strict\ndescription: for the full agent\n---\n'), 'strict/SKILL.md')] });
    const full = { ...FULL_AGENT, skills: [FULL_AGENT.skills![0]!, { type: 'custom' as const, skill_id: skill.id, version: skill.latest_version_id }] };
    const agent = await t.client.beta.agents.create(full);
    expect(agent.skills[1]).toEqual({ type: 'custom', skill_id: skill.id, version: skill.latest_version_id });
    expect(agent.model).toMatchObject({ id: MODEL, speed: 'standard', effort: { type: 'medium' } });
    expect(agent.tools[0]).toMatchObject({ configs: expect.arrayContaining([expect.objectContaining({ name: 'web_fetch', allowed_domains: ['example.com'] })]) });
    const { name: _name, ...rest } = full;
    const updated = await t.client.beta.agents.update(agent.id, { ...rest, name: 'full2', version: agent.version, metadata: { team: null, owner: 'me' }, model: { id: MODEL, effort: null, speed: null } });
    expect(updated.version).toBe(agent.version + 1);
    expect(updated.metadata).toEqual({ owner: 'me' });

    const res = await post('/v1/agents', { name: 'm', model: MODEL, multiagent: { type: 'coordinator', agents: [] } });
    expectError(res, 400, 'invalid_request_error', /^body\.multiagent: multiagent orchestration is not supported by this server/);
  });

  it('environments: an unknown field is 400 naming it; every SDK field is accepted', async () => {
    const before = await count('/v1/environments');
    expectError(await post('/v1/environments', { name: 'e', descripton: 'typo' }), 400, 'invalid_request_error', unknown('body', 'descripton'));
    expectError(await post('/v1/environments', { name: 'e', config: { type: 'cloud', networking: { type: 'limited', allowed_host: ['x'] } } }), 400, 'invalid_request_error', unknown('body.config.networking', 'allowed_host'));
    expectError(await post('/v1/environments', { name: 'e', config: { type: 'cloud', packages: { pip: ['x'], yarn: ['y'] } } }), 400, 'invalid_request_error', unknown('body.config.packages', 'yarn'));
    expect(await count('/v1/environments')).toBe(before);

    const full: Anthropic.Beta.EnvironmentCreateParams = {
      name: 'full', description: 'd', metadata: { a: 'b' }, scope: 'organization',
      config: {
        type: 'cloud',
        networking: { type: 'limited', allowed_hosts: ['example.com'], allow_package_managers: true, allow_mcp_servers: null },
        packages: { type: 'packages', apt: [], cargo: null, gem: [], go: [], npm: ['left-pad'], pip: [] },
      },
    };
    const env = await t.client.beta.environments.create(full);
    expectError(await post(`/v1/environments/${env.id}`, { name: 'x', colour: 'red' }), 400, 'invalid_request_error', unknown('body', 'colour'));
    expect((await t.client.beta.environments.retrieve(env.id)).name).toBe('full');
    const updated = await t.client.beta.environments.update(env.id, { name: 'full2', description: null, metadata: { a: null }, scope: null, config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: null } });
    expect(updated.name).toBe('full2');
  });

  it('sessions: an unknown field on create or update is 400 naming it, and nothing is written', async () => {
    const before = await count('/v1/sessions');
    expectError(await post('/v1/sessions', { agent: agentId, titel: 'typo' }), 400, 'invalid_request_error', unknown('body', 'titel'));
    expectError(await post('/v1/sessions', { agent: { type: 'agent', id: agentId, verison: 1 } }), 400, 'invalid_request_error', unknown('body.agent', 'verison'));
    const withEvent = { agent: agentId, initial_events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi', cache_control: {} }] }] };
    expectError(await post('/v1/sessions', withEvent), 400, 'invalid_request_error', unknown('body.initial_events[0].content[0]', 'cache_control'));
    const outcome = { agent: agentId, initial_events: [{ type: 'user.define_outcome', description: 'd', rubric: { type: 'text', content: 'r' } }] };
    expectError(await post('/v1/sessions', outcome), 400, 'invalid_request_error', /^body\.initial_events\[0\]\.type: outcomes \(user\.define_outcome\) are not supported/);
    expect(await count('/v1/sessions')).toBe(before);

    const id = await newSession();
    expectError(await post(`/v1/sessions/${id}`, { titel: 'typo' }), 400, 'invalid_request_error', unknown('body', 'titel'));
    expectError(await post(`/v1/sessions/${id}`, { agent: { tools: [], system: 'no' } }), 400, 'invalid_request_error', unknown('body.agent', 'system'));
    expect((await t.client.beta.sessions.retrieve(id)).title).toBeNull();
  });

  it('sessions: every SDK field is accepted on create and update (a budget amount must be integer cents)', async () => {
    fake.script([reply(text('hello'))]);
    const session = await t.client.beta.sessions.create({
      agent: { type: 'agent_with_overrides', id: agentId, version: 1, model: { id: MODEL, effort: 'low' }, system: 'override', tools: [FULL_AGENT.tools![0]!, FULL_AGENT.tools![2]!], mcp_servers: [], skills: [] },
      environment_id: envId,
      title: 'full',
      metadata: { k: 'v' },
      resources: [],
      vault_ids: [],
      initial_events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }],
    });
    await waitForIdle(t.client, session.id);
    const updated = await t.client.beta.sessions.update(session.id, { title: 'full2', metadata: { k: null }, agent: { tools: [], mcp_servers: [] } });
    expect([updated.title, updated.metadata]).toEqual(['full2', {}]);
    const budget = { type: 'limit', max_list_cost: { amount: '1.00', currency: 'USD' } };
    expectError(await post('/v1/sessions', { agent: agentId, budget }), 400, 'invalid_request_error', /^body\.budget\.max_list_cost\.amount: must be an amount in cents/);
    const budgeted = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId, budget: { type: 'limit', max_list_cost: { amount: '100', currency: 'USD' } } });
    expect(budgeted.budget).toEqual({ type: 'limit', max_list_cost: { amount: '100', currency: 'USD' } });
  });

  it('events: an unknown field on any event type is 400 naming the event, and no event of the batch is appended', async () => {
    const id = await newSession();
    const message = { type: 'user.message', content: [{ type: 'text', text: 'hi' }] };
    const cases: [unknown, RegExp][] = [
      [{ events: [message], extra: 1 }, unknown('body', 'extra')],
      [{ events: [message, { ...message, foo: 1 }] }, unknown('body.events[1]', 'foo')],
      [{ events: [message, { type: 'user.interrupt', reason: 'x' }] }, unknown('body.events[1]', 'reason')],
      [{ events: [message, { type: 'user.tool_confirmation', tool_use_id: 'sevt_1', result: 'allow', note: 'x' }] }, unknown('body.events[1]', 'note')],
      [{ events: [message, { type: 'user.custom_tool_result', custom_tool_use_id: 'sevt_1', content: [], is_eror: true }] }, unknown('body.events[1]', 'is_eror')],
      [{ events: [{ type: 'user.message', content: [{ type: 'image', source: { type: 'url', url: 'https://x.test/a.png', detail: 'hi' } }] }] }, unknown('body.events[0].content[0].source', 'detail')],
      [{ events: [message, { type: 'system.message', content: [] }] }, /^body\.events\[1\]\.type: system\.message is not supported by this server/],
      [{ events: [{ type: 'user.dance' }] }, /^body\.events\[0\]\.type: "user\.dance" is not an event a client can send/],
    ];
    for (const [body, message] of cases) expectError(await post(`/v1/sessions/${id}/events`, body), 400, 'invalid_request_error', message);
    expect(await listEvents(t.client, id)).toEqual([]);
  });

  it('events: every SDK field of each event type is accepted', async () => {
    const id = await newSession();
    fake.script([reply(text('seen'))]);
    await t.client.beta.sessions.events.send(id, {
      events: [{
        type: 'user.message',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes' }, title: 'notes', context: 'ctx' },
        ],
      }],
    });
    await waitForIdle(t.client, id);
    await t.client.beta.sessions.events.send(id, { events: [{ type: 'user.interrupt', session_thread_id: null }] });
    // Past the schema, these are refused only because nothing asked for them: every field was accepted.
    const confirmation = { type: 'user.tool_confirmation', tool_use_id: 'sevt_none', result: 'deny', deny_message: 'no' };
    expectError(await post(`/v1/sessions/${id}/events`, { events: [confirmation] }), 400, 'invalid_request_error', /sevt_none is not an agent\.tool_use or agent\.mcp_tool_use event/);
    const search = { type: 'search_result', source: 'https://x.test', title: 't', content: [{ type: 'text', text: 'r' }], citations: { enabled: false } };
    const result = { type: 'user.custom_tool_result', custom_tool_use_id: 'sevt_none', content: [{ type: 'text', text: 'r' }, search], is_error: null };
    expectError(await post(`/v1/sessions/${id}/events`, { events: [result] }), 400, 'invalid_request_error', /sevt_none is not an agent\.custom_tool_use event/);
  });

  it('_test_emit and archive take no unknown field, and write nothing when they get one', async () => {
    const id = await newSession();
    expectError(await post(`/v1/sessions/${id}/_test_emit`, { text: 'x', txt: 'y' }), 400, 'invalid_request_error', unknown('body', 'txt'));
    expect(await listEvents(t.client, id)).toEqual([]);
    for (const path of [`/v1/sessions/${id}`, `/v1/agents/${agentId}`, `/v1/environments/${envId}`]) {
      expectError(await post(`${path}/archive`, { force: true }), 400, 'invalid_request_error', unknown('body', 'force'));
      expect((await raw(t.baseURL, 'GET', path, { apiKey: t.apiKey })).json.archived_at).toBeNull();
    }
    expect((await post(`/v1/sessions/${id}/archive`, {})).status).toBe(200);
    expect((await t.client.beta.sessions.archive(id)).archived_at).not.toBeNull();
  });
});
