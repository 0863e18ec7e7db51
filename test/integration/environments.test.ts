import Anthropic from '@anthropic-ai/sdk';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectError, raw } from '../support/http.ts';

describe.each(BACKENDS)('environments API (%s)', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates a default cloud config with unrestricted networking and six empty package arrays', async () => {
    const env = await t.client.beta.environments.create({ name: 'default-config' });
    expect(env.id).toMatch(/^env_/);
    expect(env.type).toBe('environment');
    expect(env.archived_at).toBeNull();
    expect(env.metadata).toEqual({});
    const config = env.config as any;
    expect(config.type).toBe('cloud');
    expect(config.networking.type).toBe('unrestricted');
    const packages = config.packages;
    const arrays = Object.entries(packages).filter(([, v]) => Array.isArray(v));
    expect(arrays.length).toBe(6);
    for (const [, v] of arrays) expect(v).toEqual([]);
    for (const k of ['apt', 'cargo', 'gem', 'go', 'npm', 'pip']) expect(packages[k]).toEqual([]);
    expect(await t.client.beta.environments.retrieve(env.id)).toEqual(env);
  });

  it('refuses a duplicate name with 409', async () => {
    await t.client.beta.environments.create({ name: 'dup' });
    const err = await t.client.beta.environments.create({ name: 'dup' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.ConflictError);
    expect((err as any).error.error.type).toBe('conflict_error');
    expect((err as any).error.error.message).toMatch(/dup/);
    const res = await raw(t.baseURL, 'POST', '/v1/environments', { apiKey: t.apiKey, body: '{"name":"dup"}' });
    expectError(res, 409, 'conflict_error');
    expect(res.headers.get('x-should-retry')).toBe('false');
  });

  it('refuses a config type change with invalid_config_type_change', async () => {
    const env = await t.client.beta.environments.create({ name: 'typed' });
    const res = await raw(t.baseURL, 'POST', `/v1/environments/${env.id}`, { apiKey: t.apiKey, body: JSON.stringify({ config: { type: 'self_hosted' } }) });
    expectError(res, 400, 'invalid_request_error');
    expect(res.json.error.details?.error_code).toBe('invalid_config_type_change');
    const err = await t.client.beta.environments.update(env.id, { config: { type: 'self_hosted' } } as any).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('updates name and metadata (patch) while not archived', async () => {
    const env = await t.client.beta.environments.create({ name: 'upd', metadata: { a: '1', b: '2' } });
    const updated = await t.client.beta.environments.update(env.id, { name: 'upd2', metadata: { a: null, c: '3' } as any });
    expect(updated.name).toBe('upd2');
    expect(updated.metadata).toEqual({ b: '2', c: '3' });
  });

  it('archives; an archived environment cannot be updated (environment_archived)', async () => {
    const env = await t.client.beta.environments.create({ name: 'arch' });
    const archived = await t.client.beta.environments.archive(env.id);
    expect(archived.archived_at).toEqual(expect.any(String));
    const res = await raw(t.baseURL, 'POST', `/v1/environments/${env.id}`, { apiKey: t.apiKey, body: JSON.stringify({ name: 'arch2' }) });
    expectError(res, 400, 'invalid_request_error');
    expect(res.json.error.details?.error_code).toBe('environment_archived');
    const listed: string[] = [];
    for await (const e of t.client.beta.environments.list()) listed.push(e.id);
    expect(listed).not.toContain(env.id);
    const all: string[] = [];
    for await (const e of t.client.beta.environments.list({ include_archived: true })) all.push(e.id);
    expect(all).toContain(env.id);
  });

  it('deletes: {id, type:"environment_deleted"} then 404', async () => {
    const env = await t.client.beta.environments.create({ name: 'del' });
    const deleted = await t.client.beta.environments.delete(env.id);
    expect(deleted).toEqual({ id: env.id, type: 'environment_deleted' });
    const err = await t.client.beta.environments.retrieve(env.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expectError(await raw(t.baseURL, 'GET', `/v1/environments/${env.id}`, { apiKey: t.apiKey }), 404, 'not_found_error');
  });

  it('lists with limit=1 page by page', async () => {
    const tenant = await t.clientForTenant(`envpager_${backend}`);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await tenant.beta.environments.create({ name: `e${i}` })).id);
    const walked: string[] = [];
    for await (const e of tenant.beta.environments.list({ limit: 1 })) walked.push(e.id);
    expect(walked.sort()).toEqual(ids.sort());
  });
});
