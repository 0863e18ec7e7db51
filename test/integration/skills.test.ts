import { zipSync, unzipSync } from 'fflate';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

async function apiError(p: Promise<unknown>): Promise<{ status: number; error: any }> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError> | undefined;
  expect(err, 'the call should have failed').toBeInstanceOf(Anthropic.APIError);
  return { status: err!.status!, error: (err!.error as any).error };
}

const skillMd = (name: string, description: string) => `---\nname: ${name}\ndescription: "${description}"\n---\n\n# ${name}\n\nRun scripts/run.sh.\n`;

describe.each(BACKENDS)('skills API (%s)', (backend) => {
  let t: TestServer;
  let skills: Anthropic['beta']['skills'];
  const upload = async (name: string, files: Record<string, string>) => Promise.all(Object.entries(files).map(([path, content]) => toFile(Buffer.from(content), `${name}/${path}`)));
  beforeAll(async () => {
    t = await startTestServer(backend);
    skills = t.client.beta.skills;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates a skill from a directory, lists, retrieves, versions, downloads and deletes it', async () => {
    const files = { 'SKILL.md': skillMd('csv-report', 'Summarise CSV files into a report'), 'scripts/run.sh': 'echo report\n' };
    const skill = await skills.create({ files: await upload('csv-report', files) });
    expect(skill).toMatchObject({ type: 'skill', display_name: 'csv-report', source: { type: 'custom' } });
    expect(skill.id).toMatch(/^skill_/);
    expect(await skills.retrieve(skill.id)).toEqual(skill);
    const v1 = await skills.versions.retrieve(skill.latest_version_id, { skill_id: skill.id });
    expect(v1).toMatchObject({ id: skill.latest_version_id, type: 'skill_version', skill_id: skill.id, name: 'csv-report', description: 'Summarise CSV files into a report' });
    const zip = Buffer.from(await (await skills.versions.download(v1.id, { skill_id: skill.id })).arrayBuffer());
    const unpacked = unzipSync(new Uint8Array(zip));
    expect(Object.keys(unpacked).sort()).toEqual(['csv-report/SKILL.md', 'csv-report/scripts/run.sh']);
    expect(Buffer.from(unpacked['csv-report/scripts/run.sh']!).toString()).toBe('echo report\n');

    const v2 = await skills.versions.create(skill.id, { files: await upload('csv-report', { ...files, 'SKILL.md': skillMd('csv-report', 'Version two') }) });
    expect(v2.description).toBe('Version two');
    expect((await skills.retrieve(skill.id)).latest_version_id).toBe(v2.id);
    expect((await skills.versions.retrieve('latest', { skill_id: skill.id })).id).toBe(v2.id);
    const versions: string[] = [];
    for await (const v of skills.versions.list(skill.id, { limit: 1 })) versions.push(v.id);
    expect(versions).toEqual([v2.id, v1.id]);
    const renamed = await apiError(skills.versions.create(skill.id, { files: await upload('other', { 'SKILL.md': skillMd('other', 'x') }) }));
    expect(renamed.status).toBe(400);
    expect(renamed.error.message).toContain('cannot change');

    expect(await skills.versions.delete(v2.id, { skill_id: skill.id })).toEqual({ id: v2.id, type: 'skill_version_deleted' });
    expect((await skills.retrieve(skill.id)).latest_version_id).toBe(v1.id);
    expect((await apiError(skills.versions.delete(v1.id, { skill_id: skill.id }))).status).toBe(400);
    expect((await skills.list()).data.map((s) => s.id)).toContain(skill.id);
    expect((await skills.list({ source: 'anthropic' })).data).toEqual([]);
    expect(await skills.delete(skill.id)).toEqual({ id: skill.id, type: 'skill_deleted' });
    expect((await apiError(skills.retrieve(skill.id))).status).toBe(404);
  });

  it('takes a zip of the skill directory and a display_name; names are unique (409 skill_name_taken)', async () => {
    const zip = zipSync({ 'zipped/SKILL.md': new Uint8Array(Buffer.from(skillMd('zipped', 'From a zip'))), 'zipped/data/a.txt': new Uint8Array(Buffer.from('a')) });
    const skill = await skills.create({ files: [await toFile(Buffer.from(zip), 'zipped.zip', { type: 'application/zip' })], display_name: 'Zipped skill' });
    expect(skill.display_name).toBe('Zipped skill');
    const version = await skills.versions.retrieve(skill.latest_version_id, { skill_id: skill.id });
    expect(version.name).toBe('zipped');
    const again = await apiError(skills.create({ files: await upload('zipped', { 'SKILL.md': skillMd('zipped', 'again') }), display_name: 'Zipped skill' }));
    expect(again.status).toBe(409);
    expect(again.error.message).toContain('skill_name_taken');
  });

  it('refuses uploads without SKILL.md, with bad frontmatter, several top directories or escaping paths', async () => {
    // Thunks: a call started before the loop awaits it would reject unhandled meanwhile.
    const cases: [() => Promise<unknown>, string][] = [
      [async () => skills.create({ files: await upload('a', { 'README.md': 'x' }) }), 'SKILL.md is missing'],
      [async () => skills.create({ files: await upload('a', { 'SKILL.md': 'no frontmatter' }) }), 'frontmatter'],
      [async () => skills.create({ files: await upload('a', { 'SKILL.md': skillMd('Not Kebab', 'x') }) }), 'kebab-case'],
      [async () => skills.create({ files: [...(await upload('a', { 'SKILL.md': skillMd('a', 'x') })), await toFile(Buffer.from('x'), 'b/x.txt')] }), 'one top-level directory'],
      [async () => skills.create({ files: [await toFile(Buffer.from(skillMd('a', 'x')), 'a/SKILL.md'), await toFile(Buffer.from('x'), 'a/../../x')] }), 'relative path'],
    ];
    for (const [call, message] of cases) {
      const e = await apiError(call());
      expect(e.status, message).toBe(400);
      expect(e.error.message).toContain(message);
    }
  });

  it('agents reference custom skills by id with a concrete version; unknown or foreign ids are 400', async () => {
    const skill = await skills.create({ files: await upload('agent-skill', { 'SKILL.md': skillMd('agent-skill', 'For agents') }) });
    const agent = await t.client.beta.agents.create({ name: 'with skill', model: 'claude-sonnet-4-6', skills: [{ type: 'custom', skill_id: skill.id }] });
    expect(agent.skills).toEqual([{ type: 'custom', skill_id: skill.id, version: skill.latest_version_id }]);
    const unknown = await apiError(t.client.beta.agents.create({ name: 'x', model: 'claude-sonnet-4-6', skills: [{ type: 'custom', skill_id: 'skill_unknown' }] }));
    expect(unknown.status).toBe(400);
    const other = await t.clientForTenant('tenant_other_skills');
    const foreign = await apiError(other.beta.agents.create({ name: 'x', model: 'claude-sonnet-4-6', skills: [{ type: 'custom', skill_id: skill.id }] }));
    expect(foreign.status).toBe(400);
    expect(foreign.error.message.replace(skill.id, 'X')).toBe(unknown.error.message.replace('skill_unknown', 'X'));
    expect((await apiError(other.beta.skills.retrieve(skill.id))).status).toBe(404);
    const badVersion = await apiError(t.client.beta.agents.create({ name: 'x', model: 'claude-sonnet-4-6', skills: [{ type: 'custom', skill_id: skill.id, version: '1' }] }));
    expect(badVersion.status).toBe(400);
  });
});
