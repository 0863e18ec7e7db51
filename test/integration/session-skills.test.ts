/**
 * Agents' skills in the sandbox, end to end with the scripted model on every backend × provider:
 * a custom skill the agent references is mounted read-only at /workspace/skills/<name> (read
 * through `read` and bash, writes refused), the model request's system prompt names it with its
 * SKILL.md description and where to read it, and the version the agent pinned is the one shown.
 */
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import type { TestServer } from '../support/server.ts';
import { backendProviderPairs, startSandboxTestServer } from '../support/sandbox-providers.ts';
import { startFakeModel, reply, text, toolUse, expecting, type FakeModel, type RecordedRequest } from '../support/fake-model/index.ts';
import { userMessage, waitForIdle, type WireEvent } from '../support/session-helpers.ts';

const MODEL = 'claude-sonnet-4-6';
const skillMd = (description: string) => `---\nname: csv-report\ndescription: "${description}"\n---\n\n# csv-report\n\nRun scripts/run.sh on the CSV.\n`;

function lastToolResult(r: RecordedRequest): string {
  return JSON.stringify(r.body.messages.at(-1));
}
const toolResults = (events: WireEvent[]) => events.filter((e) => e.type === 'agent.tool_result').map((e) => ({ is_error: Boolean(e.is_error), text: JSON.stringify(e.content) }));

describe.each(backendProviderPairs(BACKENDS))('skills in the sandbox ($backend, $provider)', ({ backend, provider }) => {
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

  const upload = async (files: Record<string, string>) => Promise.all(Object.entries(files).map(([path, content]) => toFile(Buffer.from(content), `csv-report/${path}`)));

  it("mounts the agent's pinned skill read-only and describes it in the system prompt", async () => {
    const skill = await t.client.beta.skills.create({ files: await upload({ 'SKILL.md': skillMd('Summarise CSV files into a report (v1)'), 'scripts/run.sh': 'echo report v1\n' }) });
    const agent = await t.client.beta.agents.create({ name: 'skilled', model: MODEL, system: 'You are careful.', tools: [{ type: 'agent_toolset_20260401' }], skills: [{ type: 'custom', skill_id: skill.id }] });
    // A newer version after the agent pinned v1: the session still gets v1.
    await t.client.beta.skills.versions.create(skill.id, { files: await upload({ 'SKILL.md': skillMd('Summarise CSV files (v2)'), 'scripts/run.sh': 'echo report v2\n' }) });
    const session = await t.client.beta.sessions.create({ agent: agent.id } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
    const promptHasSkill = (r: RecordedRequest) => {
      const system = JSON.stringify(r.body.system);
      const missing = ['You are careful.', '# Skills', 'csv-report', 'Summarise CSV files into a report (v1)', '/workspace/skills/csv-report/SKILL.md', 'OMA_SKILLS_DIR'].filter((part) => !system.includes(part));
      if (system.includes('(v2)')) missing.push('not v2');
      return missing.length === 0 ? undefined : `the system prompt lacks ${missing.join(', ')}: ${system}`;
    };
    const bashRun = provider === 'bwrap' ? 'bash /workspace/skills/csv-report/scripts/run.sh; ls "$OMA_SKILLS_DIR/csv-report"' : 'bash "$OMA_SKILLS_DIR/csv-report/scripts/run.sh"; ls "$OMA_SKILLS_DIR/csv-report"';
    fake.script([
      expecting(reply(toolUse('read', { file_path: '/workspace/skills/csv-report/SKILL.md' })), promptHasSkill),
      expecting(reply(toolUse('bash', { command: bashRun })), (r) => (lastToolResult(r).includes('Run scripts/run.sh on the CSV.') ? undefined : `read did not return SKILL.md: ${lastToolResult(r)}`)),
      expecting(reply(toolUse('write', { file_path: '/workspace/skills/csv-report/SKILL.md', content: 'tampered' })), (r) => (lastToolResult(r).includes('report v1') && lastToolResult(r).includes('SKILL.md') ? undefined : `bash did not run the skill's script: ${lastToolResult(r)}`)),
      ...(provider === 'bwrap' ? [reply(toolUse('bash', { command: 'echo tampered > /workspace/skills/csv-report/SKILL.md' }))] : []),
      expecting(reply(text('used the skill')), promptHasSkill),
    ]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('summarise')] });
    const results = toolResults(await waitForIdle(t.client, session.id, 1, 60_000));
    expect(results.map((r) => r.is_error)).toEqual([false, false, true, ...(provider === 'bwrap' ? [false] : [])]);
    expect(results[2]!.text).toMatch(/read-only|Read-only/);
    if (provider === 'bwrap') expect(results[3]!.text).toMatch(/Read-only file system/);
  });

  it('leaves the system prompt alone for an agent without skills', async () => {
    const agent = await t.client.beta.agents.create({ name: 'plain', model: MODEL, system: 'Plain.', tools: [{ type: 'agent_toolset_20260401' }] });
    const session = await t.client.beta.sessions.create({ agent: agent.id } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
    fake.script([expecting(reply(text('hi')), (r) => (JSON.stringify(r.body.system).includes('# Skills') ? 'a skills section without skills' : undefined))]);
    await t.client.beta.sessions.events.send(session.id, { events: [userMessage('hi')] });
    await waitForIdle(t.client, session.id, 1, 60_000);
  });
});
