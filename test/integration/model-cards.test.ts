import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { sql } from 'kysely';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';

const SECRET_KEY = 'sk-card-secret-0123456789-abcdWXYZ';
const SECRET_HEADER = 'hdr-secret-value-5566778899';

/** Every file under `dir` (recursively) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) hits.push(...filesContaining(path, needle));
    else if (stat.isFile() && readFileSync(path).includes(needle)) hits.push(path);
  }
  return hits;
}

describe.each(BACKENDS)('model cards API (%s)', (backend) => {
  let t: TestServer;
  const body = (extra: Record<string, unknown> = {}) => ({
    name: `card-${Math.random().toString(36).slice(2, 8)}`,
    provider: 'openai',
    base_url: 'http://127.0.0.1:11434/v1',
    api_key: SECRET_KEY,
    models: [`llama-${Math.random().toString(36).slice(2, 8)}`],
    ...extra,
  });
  const create = (b: Record<string, unknown>) => t.client.post<any>('/v1/model_cards', { body: b });
  const send = (method: string, path: string, b?: unknown) => raw(t.baseURL, method, path, { apiKey: t.apiKey, body: b === undefined ? undefined : JSON.stringify(b) });

  beforeAll(async () => {
    t = await startTestServer(backend, { captureLogs: true, env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates a card and answers without the key: type, hint, sealed header values, timestamps', async () => {
    const card = await create(body({ name: 'ollama', headers: { 'X-Gateway-Token': SECRET_HEADER }, prices: { input_per_mtok: 1, output_per_mtok: 2 } }));
    expect(card.id).toMatch(/^mdlcard_/);
    expect(card).toMatchObject({ type: 'model_card', name: 'ollama', provider: 'openai', base_url: 'http://127.0.0.1:11434/v1', is_default: false, api_key_hint: 'WXYZ' });
    expect(card.headers).toEqual({ 'X-Gateway-Token': '<sealed>' });
    expect(card.prices).toEqual({ input_per_mtok: 1, output_per_mtok: 2 });
    expect(card.created_at).toEqual(card.updated_at);
    expect(card).not.toHaveProperty('api_key');
    expect(await t.client.get(`/v1/model_cards/${card.id}`)).toEqual(card);
    const text = JSON.stringify(card);
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain(SECRET_HEADER);
  });

  it('lists with {data, next_page} pages, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(body())).id);
    const first = await t.client.get<any>('/v1/model_cards', { query: { limit: 2 } });
    expect(first.data).toHaveLength(2);
    expect(first.next_page).toEqual(expect.any(String));
    const second = await t.client.get<any>('/v1/model_cards', { query: { limit: 2, page: first.next_page } });
    const seen = [...first.data, ...second.data].map((c: { id: string }) => c.id);
    expect(seen.slice(0, 3)).toEqual([...ids].reverse());
    expect(JSON.stringify([first, second])).not.toContain(SECRET_KEY);
  });

  it('updates fields, replaces the key (new hint) and keeps what is not sent', async () => {
    const card = await create(body({ headers: { 'x-org': SECRET_HEADER } }));
    const updated = await t.client.post<any>(`/v1/model_cards/${card.id}`, { body: { api_key: 'sk-new-key-9876', base_url: 'https://gateway.example.com/v1', models: ['gpt-x', 'gpt-y'] } });
    expect(updated).toMatchObject({ id: card.id, name: card.name, base_url: 'https://gateway.example.com/v1', models: ['gpt-x', 'gpt-y'], api_key_hint: '9876', headers: { 'x-org': '<sealed>' } });
    const cleared = await t.client.post<any>(`/v1/model_cards/${card.id}`, { body: { headers: null } });
    expect(cleared.headers).toEqual({});
    expect(cleared.models).toEqual(['gpt-x', 'gpt-y']);
  });

  it('keeps at most one default card: making another the default moves it', async () => {
    const a = await create(body({ is_default: true }));
    const b = await create(body({ is_default: true }));
    expect((await t.client.get<any>(`/v1/model_cards/${a.id}`)).is_default).toBe(false);
    expect((await t.client.get<any>(`/v1/model_cards/${b.id}`)).is_default).toBe(true);
    await t.client.post(`/v1/model_cards/${a.id}`, { body: { is_default: true } });
    const all = await t.client.get<any>('/v1/model_cards', { query: { limit: 1000 } });
    expect(all.data.filter((c: { is_default: boolean }) => c.is_default).map((c: { id: string }) => c.id)).toEqual([a.id]);
  });

  it('refuses a model id another card of the tenant serves, and a duplicate name, with 409', async () => {
    const a = await create(body({ models: ['shared-model'] }));
    const res = await send('POST', '/v1/model_cards', body({ models: ['other', 'shared-model'] }));
    expectError(res, 409, 'conflict_error', /shared-model/);
    expect(res.json.error.message).toContain(a.id);
    const b = await create(body({ models: ['other'] }));
    expectError(await send('POST', `/v1/model_cards/${b.id}`, { models: ['shared-model'] }), 409, 'conflict_error', /shared-model/);
    expectError(await send('POST', '/v1/model_cards', body({ name: a.name })), 409, 'conflict_error', new RegExp(a.name));
    // The card keeps its own model ids on an update that repeats them.
    expect((await t.client.post<any>(`/v1/model_cards/${a.id}`, { body: { models: ['shared-model', 'third'] } })).models).toEqual(['shared-model', 'third']);
  });

  it('refuses bad input with 400 naming the field, and writes nothing', async () => {
    const before = (await t.client.get<any>('/v1/model_cards', { query: { limit: 1000 } })).data.length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [body({ provider: 'cohere' }), /provider/],
      [body({ base_url: 'not a url' }), /base_url/],
      [body({ base_url: 'ftp://example.com' }), /base_url/],
      [body({ base_url: 'https://user:pw@example.com/v1' }), /base_url/],
      [body({ base_url: 'http://10.1.2.3:8000/v1' }), /base_url: 10\.1\.2\.3 .*MODEL_CARD_ALLOWED_PRIVATE_HOSTS/],
      [body({ base_url: 'http://169.254.169.254/latest' }), /base_url: 169\.254\.169\.254/],
      [body({ base_url: 'http://[::1]:11434/v1' }), /base_url/],
      [body({ models: [] }), /models/],
      [body({ models: ['a', 'a'] }), /models/],
      [body({ api_key: '' }), /api_key/],
      [{ ...body(), api_key: undefined }, /api_key/],
      [body({ headers: { 'bad header': 'x' } }), /headers/],
      [body({ headers: { 'content-length': '1' } }), /headers/],
      [body({ headers: { 'x-a': 'line\r\nbreak' } }), /headers/],
      [body({ prices: { input_per_mtok: -1, output_per_mtok: 1 } }), /prices/],
      [body({ surprise: true }), /unknown field/],
    ];
    for (const [b, message] of cases) expectError(await send('POST', '/v1/model_cards', b), 400, 'invalid_request_error', message);
    const card = await create(body());
    expectError(await send('POST', `/v1/model_cards/${card.id}`, { models: [] }), 400, 'invalid_request_error', /models/);
    expectError(await send('POST', `/v1/model_cards/${card.id}`, { api_key: null }), 400, 'invalid_request_error', /api_key/);
    expectError(await send('POST', `/v1/model_cards/${card.id}`, { base_url: 'http://192.168.1.20/v1' }), 400, 'invalid_request_error', /MODEL_CARD_ALLOWED_PRIVATE_HOSTS/);
    const after = (await t.client.get<any>('/v1/model_cards', { query: { limit: 1000 } })).data.length;
    expect(after).toBe(before + 1);
  });

  it('deletes: {id, type:"model_card_deleted"}, then 404 on every route', async () => {
    const card = await create(body());
    expect(await t.client.delete(`/v1/model_cards/${card.id}`)).toEqual({ id: card.id, type: 'model_card_deleted' });
    const err = await t.client.get(`/v1/model_cards/${card.id}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expectError(await send('POST', `/v1/model_cards/${card.id}`, { name: 'x' }), 404, 'not_found_error');
    expectError(await send('DELETE', `/v1/model_cards/${card.id}`), 404, 'not_found_error');
  });

  it("isolates tenants: another tenant's card is a 404 like an unknown id, and is not listed", async () => {
    const card = await create(body({ models: ['tenant-a-only'] }));
    const other = await t.clientForTenant('tenant_cards_other');
    for (const call of [() => other.get(`/v1/model_cards/${card.id}`), () => other.post(`/v1/model_cards/${card.id}`, { body: { name: 'taken' } }), () => other.delete(`/v1/model_cards/${card.id}`)]) {
      const e = (await call().catch((x: unknown) => x)) as InstanceType<typeof Anthropic.NotFoundError>;
      expect(e).toBeInstanceOf(Anthropic.NotFoundError);
      expect(JSON.stringify(e.error)).not.toContain('tenant_test');
    }
    expect((await other.get<any>('/v1/model_cards')).data).toEqual([]);
    // The same model id is free in the other tenant.
    const own = await other.post<any>('/v1/model_cards', { body: body({ models: ['tenant-a-only'] }) });
    expect(own.models).toEqual(['tenant-a-only']);
    expect((await t.client.get<any>(`/v1/model_cards/${card.id}`)).name).toBe(card.name);
  });

  it('keeps the key and header values out of the database in plaintext, out of every file under DATA_DIR and out of the logs', async () => {
    await create(body({ headers: { 'x-secret': SECRET_HEADER } }));
    const rows = await rowsOf(t);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.api_key).toMatch(/^sb1\./);
      if (row.headers !== null) expect(row.headers).toMatch(/^sb1\./);
    }
    expect(JSON.stringify(rows)).not.toContain(SECRET_KEY);
    expect(JSON.stringify(rows)).not.toContain(SECRET_HEADER);
    await flushSqlite(t);
    expect(filesContaining(t.db.dataDir, SECRET_KEY)).toEqual([]);
    expect(filesContaining(t.db.dataDir, SECRET_HEADER)).toEqual([]);
    expect(t.logLines.length).toBeGreaterThan(0);
    expect(t.logLines.filter((l) => l.includes(SECRET_KEY) || l.includes(SECRET_HEADER))).toEqual([]);
  });
});

async function rowsOf(t: TestServer): Promise<{ api_key: string; headers: string | null }[]> {
  return t.server.services.store.db.selectFrom('model_cards').select(['api_key', 'headers']).execute();
}

/** Checkpoints the WAL so the search of DATA_DIR reads what SQLite wrote (Postgres keeps its files elsewhere; its rows are checked above). */
async function flushSqlite(t: TestServer): Promise<void> {
  if (t.db.backend === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(t.server.services.store.db);
}
