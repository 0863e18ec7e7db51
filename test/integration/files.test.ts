import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import Anthropic, { toFile } from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { raw } from '../support/http.ts';
import { startTestS3, type TestS3 } from '../support/s3-server.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function apiError(p: Promise<unknown>): Promise<{ status: number; error: any }> {
  const err = (await p.then(() => undefined, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError> | undefined;
  expect(err, 'the call should have failed').toBeInstanceOf(Anthropic.APIError);
  return { status: err!.status!, error: (err!.error as any).error };
}

const CASES = [...BACKENDS.map((backend) => ({ backend, blobs: 'local' as const })), { backend: BACKENDS[0]!, blobs: 's3' as const }];
const MAX = 256 * 1024;

describe.each(CASES)('files API ($backend, $blobs blobs)', ({ backend, blobs }) => {
  let t: TestServer;
  let s3: TestS3 | undefined;
  let files: Anthropic['beta']['files'];
  beforeAll(async () => {
    if (blobs === 's3') s3 = await startTestS3();
    t = await startTestServer(backend, { env: { ...(s3?.env ?? {}), FILES_MAX_BYTES: String(MAX) } });
    files = t.client.beta.files;
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.close();
  });

  it('uploads, retrieves, downloads byte-identical and deletes a file', async () => {
    const bytes = Buffer.concat([Buffer.from('name,qty\nwidget,3\n'), randomBytes(100_000)]);
    const meta = await files.upload({ file: await toFile(bytes, 'dir/../data.csv', { type: 'text/csv' }) });
    expect(meta).toMatchObject({ type: 'file', filename: 'data.csv', mime_type: 'text/csv', size_bytes: bytes.length, downloadable: true, expires_at: null, scope: null });
    expect(meta.id).toMatch(/^file_/);
    expect(await files.retrieveMetadata(meta.id)).toEqual(meta);
    const response = await files.download(meta.id);
    expect(response.headers.get('content-type')).toBe('text/csv');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="data.csv"; filename*=UTF-8''data.csv`);
    const got = Buffer.from(await response.arrayBuffer());
    expect(sha(got)).toBe(sha(bytes));
    expect(await t.server.services.fileBlobs.get(sha(bytes))).toBeDefined();
    expect(await files.delete(meta.id)).toEqual({ id: meta.id, type: 'file_deleted' });
    expect((await apiError(files.retrieveMetadata(meta.id))).status).toBe(404);
    expect((await apiError(files.download(meta.id))).status).toBe(404);
    expect(await t.server.services.fileBlobs.get(sha(bytes))).toBeUndefined();
  });

  it('keeps a shared blob until the last file holding it is deleted', async () => {
    const bytes = randomBytes(1000);
    const a = await files.upload({ file: await toFile(bytes, 'a.bin') });
    const b = await files.upload({ file: await toFile(bytes, 'b.bin') });
    expect(a.mime_type).toBe('application/octet-stream');
    await files.delete(a.id);
    expect(Buffer.from(await (await files.download(b.id)).arrayBuffer()).equals(bytes)).toBe(true);
    await files.delete(b.id);
    expect(await t.server.services.fileBlobs.get(sha(bytes))).toBeUndefined();
  });

  it('guesses the type from the extension and names nameless uploads', async () => {
    const md = await files.upload({ file: await toFile(Buffer.from('# hi'), 'notes.md') });
    expect(md.mime_type).toBe('text/markdown');
    const form = new FormData();
    form.append('file', new Blob(['{}'], { type: 'application/json' }), '');
    form.append('purpose', 'ignored');
    const res = await fetch(`${t.baseURL}/v1/files`, { method: 'POST', headers: { 'x-api-key': t.apiKey, 'anthropic-beta': 'files-api-2025-04-14' }, body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ filename: 'unnamed.json', mime_type: 'application/json' });
  });

  it('refuses files over FILES_MAX_BYTES with 413, declared or streamed, and leaves nothing behind', async () => {
    const big = await apiError(files.upload({ file: await toFile(randomBytes(MAX + 1), 'big.bin') }));
    expect(big.status).toBe(413);
    expect(big.error.type).toBe('request_too_large');
    expect(big.error.message).toContain('FILES_MAX_BYTES');
    // Chunked, so no content-length: the limit is found while streaming.
    const boundary = 'xyzBOUNDARY';
    async function* body() {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      for (let i = 0; i < 40; i++) yield randomBytes(16 * 1024);
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const res = await fetch(`${t.baseURL}/v1/files`, { method: 'POST', headers: { 'x-api-key': t.apiKey, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: body(), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.type).toBe('request_too_large');
    expect(await readdir(t.config.files.uploadDir)).toEqual([]);
  });

  it('refuses bodies that are not a file upload with 400', async () => {
    const json = await raw(t.baseURL, 'POST', '/v1/files', { apiKey: t.apiKey, body: JSON.stringify({ file: 'x' }) });
    expect(json.status).toBe(400);
    expect(json.json.error.message).toContain('multipart/form-data');
    const form = new FormData();
    form.append('other', new Blob(['x']), 'x.txt');
    const noFile = await fetch(`${t.baseURL}/v1/files`, { method: 'POST', headers: { 'x-api-key': t.apiKey }, body: form });
    expect(noFile.status).toBe(400);
    expect(((await noFile.json()) as any).error.message).toContain('file: is required');
    const badExpiry = await apiError(files.upload({ file: await toFile(Buffer.from('x'), 'x.txt'), expires_in_seconds: 5 }));
    expect(badExpiry.status).toBe(400);
    expect(badExpiry.error.message).toContain('expires_in_seconds');
    expect(await readdir(t.config.files.uploadDir)).toEqual([]);
  });

  it('sets expires_at from expires_in_seconds', async () => {
    const meta = await files.upload({ file: await toFile(Buffer.from('x'), 'x.txt'), expires_in_seconds: 3600 });
    expect(Date.parse(meta.expires_at!) - Date.parse(meta.created_at)).toBe(3600_000);
  });

  it('lists newest first with paging, ids[] and legacy after_id', async () => {
    const fresh = await startTestServer(backend, { env: s3?.env ?? {} });
    try {
      const f = fresh.client.beta.files;
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await f.upload({ file: await toFile(Buffer.from(`f${i}`), `f${i}.txt`) }));
      const newestFirst = made.map((m) => m.id).reverse();
      const first = await f.list({ limit: 2 });
      expect(first.data.map((m) => m.id)).toEqual(newestFirst.slice(0, 2));
      const all: string[] = [];
      for await (const m of f.list({ limit: 2 })) all.push(m.id);
      expect(all).toEqual(newestFirst);
      const byIds = await f.list({ ids: [made[0]!.id, made[3]!.id, 'file_unknown'] });
      expect(byIds.data.map((m) => m.id)).toEqual([made[3]!.id, made[0]!.id]);
      expect(byIds.next_page).toBeNull();
      const legacy = await raw(fresh.baseURL, 'GET', `/v1/files?limit=2&after_id=${newestFirst[1]}`, { apiKey: fresh.apiKey });
      expect(legacy.json).toMatchObject({ has_more: true, first_id: newestFirst[2], last_id: newestFirst[3] });
      const mixed = await raw(fresh.baseURL, 'GET', `/v1/files?limit=2&ids[]=${made[0]!.id}`, { apiKey: fresh.apiKey });
      expect(mixed.status).toBe(400);
      const tooMany = await raw(fresh.baseURL, 'GET', `/v1/files?${Array.from({ length: 101 }, (_, i) => `ids[]=file_${i}`).join('&')}`, { apiKey: fresh.apiKey });
      expect(tooMany.status).toBe(400);
    } finally {
      await fresh.stop();
    }
  });

  it('keeps a file readable only by its tenant (404 like an unknown id)', async () => {
    const meta = await files.upload({ file: await toFile(Buffer.from('secret'), 's.txt') });
    const other = await t.clientForTenant('tenant_other');
    const unknown = await apiError(other.beta.files.retrieveMetadata('file_doesnotexist'));
    const foreign = await apiError(other.beta.files.retrieveMetadata(meta.id));
    expect(foreign.status).toBe(404);
    expect(foreign.error.message.replace(meta.id, 'X')).toBe(unknown.error.message.replace('file_doesnotexist', 'X'));
    expect((await apiError(other.beta.files.download(meta.id))).status).toBe(404);
    expect((await apiError(other.beta.files.delete(meta.id))).status).toBe(404);
    expect((await other.beta.files.list({ ids: [meta.id] })).data).toEqual([]);
    expect(await files.retrieveMetadata(meta.id)).toMatchObject({ id: meta.id });
  });
});
