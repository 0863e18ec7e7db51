/**
 * Collecting /mnt/session/outputs into Files is idempotent (both backends): collections racing each
 * other (as a recovered turn end and a late one would) and repeated ones create each (path,
 * content) once; a changed file is a new File; symlinks, oversized files and other sessions' outputs
 * are never taken. Uses the server's own store, blob store and FileService.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { SessionFileMounts } from '../../src/files/session-file-mounts.ts';

describe.each(BACKENDS)('session outputs (%s)', (backend) => {
  let t: TestServer;
  let mounts: SessionFileMounts;
  let root: string;
  beforeAll(async () => {
    t = await startTestServer(backend);
    const { services } = t.server;
    root = path.join(t.config.sandbox.workdir, '.mounts-test');
    mounts = new SessionFileMounts({ store: services.store, blobs: services.fileBlobs, files: services.files, root, spoolDir: t.config.files.uploadDir, maxOutputBytes: 1000 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const newSession = async () => {
    const agent = await t.client.beta.agents.create({ name: 'out', model: 'claude-sonnet-4-6' });
    const session = await t.client.beta.sessions.create({ agent: agent.id } as unknown as Anthropic.Beta.Sessions.SessionCreateParams);
    const row = (await t.server.services.store.sessions.findAnyTenant(session.id))!;
    await mounts.prepare(row);
    return { row, outputs: path.join(root, session.id, 'outputs') };
  };
  const listed = async (sessionId: string) => (await t.client.beta.files.list({ scope_id: sessionId, limit: 100 })).data;

  it('creates each output once, whatever races or repeats; a changed output is a new File', async () => {
    const { row, outputs } = await newSession();
    await mkdir(path.join(outputs, 'deep/er'), { recursive: true });
    await writeFile(path.join(outputs, 'a.txt'), 'alpha');
    await writeFile(path.join(outputs, 'deep/er/b.csv'), 'x,y\n');
    await writeFile(path.join(outputs, 'big.bin'), Buffer.alloc(1001));
    await symlink('/etc/hostname', path.join(outputs, 'link.txt'));
    const runs = await Promise.all([mounts.collectOutputs(row), mounts.collectOutputs(row), mounts.collectOutputs(row)]);
    expect(runs.flat().map((f) => f.filename).sort()).toEqual(['a.txt', 'b.csv']);
    expect((await listed(row.id)).map((f) => f.filename).sort()).toEqual(['a.txt', 'b.csv']);
    expect(await mounts.collectOutputs(row)).toEqual([]);

    await writeFile(path.join(outputs, 'a.txt'), 'alpha, revised');
    const changed = await mounts.collectOutputs(row);
    expect(changed.map((f) => [f.filename, f.size_bytes])).toEqual([['a.txt', 14]]);
    expect(await mounts.collectOutputs(row)).toEqual([]);
    expect(await listed(row.id)).toHaveLength(3);

    const other = await newSession();
    expect(await mounts.collectOutputs(other.row)).toEqual([]);
    expect(await listed(other.row.id)).toEqual([]);
  });
});
