import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';
import { startTestS3, type TestS3 } from '../support/s3-server.ts';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

async function apiError(p: Promise<unknown>): Promise<{ status: number; error: any; headers: Headers }> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError> | undefined;
  expect(err, 'the call should have failed').toBeInstanceOf(Anthropic.APIError);
  return { status: err!.status!, error: (err!.error as any).error, headers: err!.headers as Headers };
}

const CASES = BACKENDS.flatMap((backend) => (['local', 's3'] as const).map((blobs) => ({ backend, blobs })));

describe.each(CASES)('memory stores API ($backend, $blobs blobs)', ({ backend, blobs }) => {
  let t: TestServer;
  let s3: TestS3 | undefined;
  let ms: Anthropic['beta']['memoryStores'];
  const hasBlob = async (hash: string) => (await t.server.services.memoryBlobs.get(hash)) !== undefined;
  beforeAll(async () => {
    if (blobs === 's3') s3 = await startTestS3();
    t = await startTestServer(backend, { env: s3?.env ?? {} });
    ms = t.client.beta.memoryStores;
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.close();
  });

  it('keeps contents in the configured blob store and names it without credentials in /health', async () => {
    const health = await raw(t.baseURL, 'GET', '/health', { apiKey: null });
    expect(health.json.backends.memory_blobs).toBe(s3 ? `s3 ${s3.endpoint}/${s3.bucket}` : `local ${t.config.memoryBlobDir}`);
    expect(health.text).not.toContain('S3RVER');
    const store = await ms.create({ name: 'where' });
    await ms.memories.create(store.id, { path: '/w.md', content: `where ${blobs}` });
    expect(await hasBlob(sha(`where ${blobs}`))).toBe(true);
  });

  it('creates, retrieves, updates, lists, archives and deletes a store', async () => {
    const store = await ms.create({ name: 'User Preferences', description: 'what the user likes', metadata: { team: 'a' } });
    expect(store).toMatchObject({ type: 'memory_store', name: 'User Preferences', description: 'what the user likes', metadata: { team: 'a' }, archived_at: null });
    expect(store.id).toMatch(/^memstore_/);
    expect(await ms.retrieve(store.id)).toEqual(store);
    const plain = await ms.create({ name: 'plain' });
    expect(plain.description).toBe('');
    const updated = await ms.update(store.id, { name: 'Prefs', description: '', metadata: { team: null, env: 'prod' } });
    expect(updated).toMatchObject({ name: 'Prefs', description: '', metadata: { env: 'prod' } });
    const same = await ms.update(store.id, {});
    expect(same.updated_at).toBe(updated.updated_at);
    const archived = await ms.archive(plain.id);
    expect(archived.archived_at).not.toBeNull();
    const listed: string[] = [];
    for await (const s of ms.list({ limit: 1 })) listed.push(s.id);
    expect(listed).toContain(store.id);
    expect(listed).not.toContain(plain.id);
    const all: string[] = [];
    for await (const s of ms.list({ include_archived: true })) all.push(s.id);
    expect(all).toContain(plain.id);
    const err = await apiError(ms.memories.create(plain.id, { path: '/x.md', content: 'x' }));
    expect(err.status).toBe(400);
    expect(err.error.message).toMatch(/archived/);
    expect(await ms.delete(plain.id)).toEqual({ id: plain.id, type: 'memory_store_deleted' });
    expect((await apiError(ms.retrieve(plain.id))).status).toBe(404);
  });

  it('validates store names, descriptions and metadata with 400s', async () => {
    for (const body of [{ name: '' }, { name: 'x'.repeat(256) }, { name: 'bad\u0007name' }, { name: 'ok', description: 'd'.repeat(1025) }, { name: 'ok', extra: 1 }]) {
      const res = await raw(t.baseURL, 'POST', '/v1/memory_stores', { apiKey: t.apiKey, body: JSON.stringify(body) });
      expectError(res, 400, 'invalid_request_error');
    }
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expectError(await raw(t.baseURL, 'POST', '/v1/memory_stores', { apiKey: t.apiKey, body: JSON.stringify({ name: 'm', metadata }) }), 400, 'invalid_request_error');
  });

  it('stores memories with their content hash and serves content only in view=full', async () => {
    const store = await ms.create({ name: 'notes' });
    const content = 'héllo wörld\n';
    const memory = await ms.memories.create(store.id, { path: '/projects/foo/notes.md', content });
    expect(memory).toMatchObject({ type: 'memory', memory_store_id: store.id, path: '/projects/foo/notes.md', content: null, content_sha256: sha(content), content_size_bytes: Buffer.byteLength(content) });
    expect(memory.id).toMatch(/^mem_/);
    expect(memory.memory_version_id).toMatch(/^memver_/);
    const full = await ms.memories.retrieve(memory.id, { memory_store_id: store.id });
    expect(full.content).toBe(content);
    expect((await ms.memories.retrieve(memory.id, { memory_store_id: store.id, view: 'basic' })).content).toBeNull();
    const empty = await ms.memories.create(store.id, { path: '/empty', content: '' });
    expect(empty.content_sha256).toBe(sha(''));
    expect(await hasBlob(sha(content))).toBe(true);
  });

  it('refuses a taken or overlapping path with memory_path_conflict_error naming the other memory', async () => {
    const store = await ms.create({ name: 'conflicts' });
    const notes = await ms.memories.create(store.id, { path: '/notes/todo.md', content: 'a' });
    for (const path of ['/notes/todo.md', '/notes', '/notes/todo.md/deeper']) {
      const err = await apiError(ms.memories.create(store.id, { path, content: 'b' }));
      expect(err.status).toBe(409);
      expect(err.error).toMatchObject({ type: 'memory_path_conflict_error', conflicting_memory_id: notes.id, conflicting_path: '/notes/todo.md' });
      expect(err.headers.get('x-should-retry')).toBe('false');
    }
    await ms.memories.create(store.id, { path: '/notes-archive/todo.md', content: 'c' });
    await ms.memories.create(store.id, { path: '/notes/other.md', content: 'd' });
    const other = await ms.create({ name: 'other store' });
    await ms.memories.create(other.id, { path: '/notes/todo.md', content: 'same path, other store' });
  });

  it('enforces path rules and the 100 kB content limit with 400s', async () => {
    const store = await ms.create({ name: 'limits' });
    const bad = ['notes.md', '/a//b', '/a/', '/a/./b', '/a/../b', `/${Array.from({ length: 21 }, () => 's').join('/')}`, `/${'x'.repeat(1024)}`, '/ctl\u0001', '/fmt\u200b', '/sep\u2028', '/cafe\u0301'];
    for (const path of bad) {
      const err = await apiError(ms.memories.create(store.id, { path, content: 'x' }));
      expect(err.status, path).toBe(400);
      expect(err.error.message, path).toMatch(/^body\.path|^path/);
    }
    await ms.memories.create(store.id, { path: `/${Array.from({ length: 20 }, () => 's').join('/')}`, content: 'deep' });
    await ms.memories.create(store.id, { path: '/café/ünïcode.md', content: 'nfc' });
    const max = 'x'.repeat(102_400);
    const ok = await ms.memories.create(store.id, { path: '/max', content: max });
    expect(ok.content_size_bytes).toBe(102_400);
    const err = await apiError(ms.memories.create(store.id, { path: '/over', content: `${max}é` }));
    expect(err.status).toBe(400);
    expect(err.error.message).toMatch(/102400|100 kB/);
    expect((await apiError(ms.memories.update(ok.id, { memory_store_id: store.id, content: `${max}x` }))).status).toBe(400);
  });

  it('updates content and path with content_sha256 preconditions, one version per effective change', async () => {
    const store = await ms.create({ name: 'updates' });
    const m = await ms.memories.create(store.id, { path: '/a.md', content: 'v1' });
    const wrong = await apiError(ms.memories.update(m.id, { memory_store_id: store.id, content: 'v2', precondition: { type: 'content_sha256', content_sha256: sha('nope') } }));
    expect(wrong.status).toBe(409);
    expect(wrong.error.type).toBe('memory_precondition_failed_error');
    expect(wrong.headers.get('x-should-retry')).toBe('false');
    const v2 = await ms.memories.update(m.id, { memory_store_id: store.id, content: 'v2', precondition: { type: 'content_sha256', content_sha256: sha('v1') } });
    expect(v2.content_sha256).toBe(sha('v2'));
    expect(v2.memory_version_id).not.toBe(m.memory_version_id);
    // Already the target: succeeds whatever the precondition says, and writes nothing.
    const again = await ms.memories.update(m.id, { memory_store_id: store.id, content: 'v2', precondition: { type: 'content_sha256', content_sha256: sha('v1') } });
    expect(again.memory_version_id).toBe(v2.memory_version_id);
    const renamed = await ms.memories.update(m.id, { memory_store_id: store.id, path: '/dir/b.md' });
    expect(renamed).toMatchObject({ id: m.id, path: '/dir/b.md', content_sha256: sha('v2') });
    await ms.memories.create(store.id, { path: '/c.md', content: 'c' });
    const clash = await apiError(ms.memories.update(m.id, { memory_store_id: store.id, path: '/c.md' }));
    expect(clash.error.type).toBe('memory_path_conflict_error');
    const patched = await raw(t.baseURL, 'PATCH', `/v1/memory_stores/${store.id}/memories/${m.id}`, { apiKey: t.apiKey, body: JSON.stringify({ content: 'v3' }) });
    expect(patched.status).toBe(200);
    expect(patched.json.content_sha256).toBe(sha('v3'));
    const versions = [];
    for await (const v of ms.memoryVersions.list(store.id, { memory_id: m.id })) versions.push(v);
    expect(versions.map((v) => v.operation)).toEqual(['modified', 'modified', 'modified', 'created']);
    expect(versions.map((v) => v.path)).toEqual(['/dir/b.md', '/dir/b.md', '/a.md', '/a.md']);
    expect(versions[0]!.created_by).toEqual({ type: 'api_actor', api_key_id: expect.stringMatching(/^apikey_/) });
  });

  it('lists by path prefix and depth with memory_prefix items, paging through every item', async () => {
    const store = await ms.create({ name: 'listing' });
    for (const p of ['/a.md', '/b/one.md', '/b/two.md', '/b/deep/x.md', '/c/z.md', '/d.md']) await ms.memories.create(store.id, { path: p, content: p });
    const top: string[] = [];
    for await (const item of ms.memories.list(store.id, { depth: 1, limit: 1 })) top.push(`${item.type}:${item.path}`);
    expect(top).toEqual(['memory:/a.md', 'memory_prefix:/b/', 'memory_prefix:/c/', 'memory:/d.md']);
    const underB: string[] = [];
    for await (const item of ms.memories.list(store.id, { path_prefix: '/b/', depth: 1 })) underB.push(`${item.type}:${item.path}`);
    expect(underB).toEqual(['memory_prefix:/b/deep/', 'memory:/b/one.md', 'memory:/b/two.md']);
    const all: string[] = [];
    for await (const item of ms.memories.list(store.id, { limit: 2 })) all.push(item.path);
    expect(all).toEqual(['/a.md', '/b/deep/x.md', '/b/one.md', '/b/two.md', '/c/z.md', '/d.md']);
    const page = await ms.memories.list(store.id, { path_prefix: '/b/', view: 'full' });
    expect(page.data.map((m) => (m as any).content)).toEqual(['/b/deep/x.md', '/b/one.md', '/b/two.md']);
    expect((await apiError(ms.memories.list(store.id, { view: 'full', limit: 21 }))).status).toBe(400);
    expect((await apiError(ms.memories.list(store.id, { path_prefix: '/b' }))).status).toBe(400);
    expect((await ms.memories.list(store.id, { path_prefix: '/nothing/' })).data).toEqual([]);
  });

  it('deletes with expected_content_sha256 and keeps the versions, ending in a deleted one', async () => {
    const store = await ms.create({ name: 'deletes' });
    const m = await ms.memories.create(store.id, { path: '/gone.md', content: 'bye' });
    const wrong = await apiError(ms.memories.delete(m.id, { memory_store_id: store.id, expected_content_sha256: sha('other') }));
    expect(wrong.error.type).toBe('memory_precondition_failed_error');
    expect((await ms.memories.retrieve(m.id, { memory_store_id: store.id })).content).toBe('bye');
    expect(await ms.memories.delete(m.id, { memory_store_id: store.id, expected_content_sha256: sha('bye') })).toEqual({ id: m.id, type: 'memory_deleted' });
    expect((await apiError(ms.memories.retrieve(m.id, { memory_store_id: store.id }))).status).toBe(404);
    const versions = (await ms.memoryVersions.list(store.id, { memory_id: m.id })).data;
    expect(versions.map((v) => [v.operation, v.path, v.content_sha256 ?? null])).toEqual([['deleted', '/gone.md', null], ['created', '/gone.md', sha('bye')]]);
    expect((await ms.memoryVersions.list(store.id, { operation: 'deleted' })).data.map((v) => v.memory_id)).toEqual([m.id]);
    await ms.memories.create(store.id, { path: '/gone.md', content: 'again' });
  });

  it('redacts a version: content and path cleared, blob removed, the current version refused', async () => {
    const store = await ms.create({ name: 'redact' });
    const secret = `secret ${Date.now()}`;
    const m = await ms.memories.create(store.id, { path: '/s.md', content: secret });
    const current = await apiError(ms.memoryVersions.redact(m.memory_version_id, { memory_store_id: store.id }));
    expect(current.status).toBe(409);
    expect(current.error.type).toBe('conflict_error');
    await ms.memories.update(m.id, { memory_store_id: store.id, content: 'clean' });
    const before = await ms.memoryVersions.retrieve(m.memory_version_id, { memory_store_id: store.id });
    expect(before.content).toBe(secret);
    expect(await hasBlob(sha(secret))).toBe(true);
    const redacted = await ms.memoryVersions.redact(m.memory_version_id, { memory_store_id: store.id });
    expect(redacted).toMatchObject({ id: m.memory_version_id, operation: 'created', content: null, path: null, content_sha256: null, content_size_bytes: null });
    expect(redacted.redacted_at).not.toBeNull();
    expect(redacted.redacted_by).toEqual({ type: 'api_actor', api_key_id: expect.stringMatching(/^apikey_/) });
    expect(redacted.created_by).toEqual(before.created_by);
    expect(await hasBlob(sha(secret))).toBe(false);
    expect((await ms.memoryVersions.redact(m.memory_version_id, { memory_store_id: store.id })).redacted_at).toBe(redacted.redacted_at);
  });

  it('keeps a shared blob while another version still holds the same content', async () => {
    const store = await ms.create({ name: 'shared' });
    const a = await ms.memories.create(store.id, { path: '/a', content: 'same' });
    await ms.memories.create(store.id, { path: '/b', content: 'same' });
    await ms.memories.update(a.id, { memory_store_id: store.id, content: 'changed' });
    await ms.memoryVersions.redact(a.memory_version_id, { memory_store_id: store.id });
    const b = (await ms.memories.list(store.id, { path_prefix: '/', view: 'full' })).data.find((x) => x.path === '/b') as any;
    expect(b.content).toBe('same');
  });

  it("answers another tenant's stores, memories and versions with 404", async () => {
    const store = await ms.create({ name: 'private' });
    const m = await ms.memories.create(store.id, { path: '/p.md', content: 'mine' });
    const other = (await t.clientForTenant('tenant_other_memory')).beta.memoryStores;
    const calls: (() => Promise<unknown>)[] = [
      () => other.retrieve(store.id),
      () => other.update(store.id, { name: 'x' }),
      () => other.archive(store.id),
      () => other.memories.create(store.id, { path: '/q.md', content: 'x' }),
      () => other.memories.list(store.id),
      () => other.memories.retrieve(m.id, { memory_store_id: store.id }),
      () => other.memories.update(m.id, { memory_store_id: store.id, content: 'x' }),
      () => other.memories.delete(m.id, { memory_store_id: store.id }),
      () => other.memoryVersions.list(store.id),
      () => other.memoryVersions.retrieve(m.memory_version_id, { memory_store_id: store.id }),
      () => other.memoryVersions.redact(m.memory_version_id, { memory_store_id: store.id }),
      () => other.delete(store.id),
    ];
    for (const call of calls) expect((await apiError(call())).status).toBe(404);
    expect((await other.list()).data.map((s) => s.id)).not.toContain(store.id);
    expect((await ms.memories.retrieve(m.id, { memory_store_id: store.id })).content).toBe('mine');
  });

  it('filters versions by api key and accepts the agent-memory beta header', async () => {
    const store = await ms.create({ name: 'filters' }, { headers: { 'anthropic-beta': 'agent-memory-2026-07-22' } });
    await ms.memories.create(store.id, { path: '/f', content: 'f' });
    const mine = (await ms.memoryVersions.list(store.id)).data[0]!;
    const keyId = (mine.created_by as { api_key_id: string }).api_key_id;
    expect((await ms.memoryVersions.list(store.id, { api_key_id: keyId })).data).toHaveLength(1);
    expect((await ms.memoryVersions.list(store.id, { api_key_id: 'apikey_none' })).data).toHaveLength(0);
    expect((await ms.memoryVersions.list(store.id, { session_id: 'sesn_none' })).data).toHaveLength(0);
    const res = await raw(t.baseURL, 'GET', `/v1/memory_stores/${store.id}/memory_versions?view=full`, { apiKey: t.apiKey, headers: { 'anthropic-beta': 'managed-agents-2026-04-01' } });
    expect(res.json.data[0].content).toBe('f');
  });
});
