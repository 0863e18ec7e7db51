import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

async function apiError(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError> | undefined;
  expect(err, 'the call should have failed').toBeInstanceOf(Anthropic.APIError);
  return { status: err!.status!, message: (err!.error as any).error.message };
}

describe.each(BACKENDS)('session file resources (%s)', (backend) => {
  let t: TestServer;
  let agentId: string;
  let envId: string;
  beforeAll(async () => {
    t = await startTestServer(backend);
    agentId = (await t.client.beta.agents.create({ name: 'files', model: 'claude-sonnet-4-6' })).id;
    envId = (await t.client.beta.environments.create({ name: 'files' })).id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('attaches files at create with the default or a given mount_path, and lists and retrieves them', async () => {
    const csv = await t.client.beta.files.upload({ file: await toFile(Buffer.from('a,b\n1,2\n'), 'data.csv') });
    const notes = await t.client.beta.files.upload({ file: await toFile(Buffer.from('notes'), 'notes.txt') });
    const session = await t.client.beta.sessions.create({
      agent: agentId,
      environment_id: envId,
      resources: [{ type: 'file', file_id: csv.id }, { type: 'file', file_id: notes.id, mount_path: '/workspace/input/notes.txt' }],
    });
    expect(session.resources).toEqual([
      expect.objectContaining({ type: 'file', file_id: csv.id, mount_path: `/mnt/session/uploads/${csv.id}` }),
      expect.objectContaining({ type: 'file', file_id: notes.id, mount_path: '/workspace/input/notes.txt' }),
    ]);
    const first = session.resources[0] as { id: string };
    expect(first.id).toMatch(/^sesrsc_/);
    expect(await t.client.beta.sessions.resources.retrieve(first.id, { session_id: session.id })).toEqual(session.resources[0]);
    const listed: unknown[] = [];
    for await (const r of t.client.beta.sessions.resources.list(session.id, { limit: 1 })) listed.push(r);
    expect(listed).toEqual(session.resources);
  });

  it('adds and deletes file resources while idle; refuses bad mount paths, duplicates and other tenants\' files', async () => {
    const file = await t.client.beta.files.upload({ file: await toFile(Buffer.from('x'), 'x.txt') });
    const session = await t.client.beta.sessions.create({ agent: agentId, environment_id: envId });
    const added = await t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id, mount_path: '/data/x.txt' });
    expect(added).toMatchObject({ type: 'file', file_id: file.id, mount_path: '/data/x.txt' });
    expect((await t.client.beta.sessions.retrieve(session.id)).resources).toEqual([added]);
    const dup = await apiError(t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id, mount_path: '/data/x.txt' }));
    expect(dup).toMatchObject({ status: 400, message: expect.stringContaining('already used') });
    const relative = await apiError(t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id, mount_path: 'data/../x' }));
    expect(relative).toMatchObject({ status: 400, message: expect.stringContaining('mount_path') });
    const outputs = await apiError(t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id, mount_path: '/mnt/session/outputs/x' }));
    expect(outputs.status).toBe(400);
    const other = await t.clientForTenant('tenant_files_other');
    const theirs = await other.beta.files.upload({ file: await toFile(Buffer.from('theirs'), 't.txt') });
    const foreign = await apiError(t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: theirs.id }));
    const unknown = await apiError(t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: 'file_unknown' }));
    expect(foreign.status).toBe(404);
    expect(foreign.message.replace(theirs.id, 'X')).toBe(unknown.message.replace('file_unknown', 'X'));
    expect((await apiError(other.beta.sessions.resources.add(session.id, { type: 'file', file_id: theirs.id }))).status).toBe(404);
    expect(await t.client.beta.sessions.resources.delete(added.id, { session_id: session.id })).toEqual({ id: added.id, type: 'session_resource_deleted' });
    expect((await t.client.beta.sessions.retrieve(session.id)).resources).toEqual([]);
    expect((await apiError(t.client.beta.sessions.resources.retrieve(added.id, { session_id: session.id }))).status).toBe(404);
    await t.client.beta.sessions.archive(session.id);
    expect((await apiError(t.client.beta.sessions.resources.add(session.id, { type: 'file', file_id: file.id }))).status).toBe(409);
  });
});
