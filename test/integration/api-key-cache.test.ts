/**
 * API keys are cached per process (issue 19) and still refused on the very next request after a
 * revocation or a membership change, whoever makes it: here another connection to the same
 * database (as another instance or the `oma` CLI would), with the server's cache warm.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createApiKey, revokeApiKey } from '../../src/auth/api-keys.ts';

const TENANT = 'tenant_keycache';

describe.each(BACKENDS)('cached API keys, immediate revocation (%s)', (backend) => {
  let t: TestServer;
  let other: Store;
  beforeAll(async () => {
    t = await startTestServer(backend);
    other = await openStore(t.db.database, { migrate: false });
    await t.server.services.store.tenants.ensure(TENANT, TENANT, Date.now());
  });
  afterAll(async () => {
    await other?.close();
    await t?.stop();
  });

  const get = (key: string, path = '/v1/agents') => fetch(`${t.baseURL}${path}`, { headers: { 'x-api-key': key } });

  async function memberKey(userId: string, role: 'owner' | 'member') {
    await t.server.services.store.tenants.addMember({ tenant_id: TENANT, user_id: userId, role, created_at: Date.now() });
    return createApiKey(t.server.services.store, { tenantId: TENANT, name: userId, createdBy: userId });
  }

  it('a key revoked by another connection is refused on the next request, and stays refused', async () => {
    const { key, id } = await createApiKey(t.server.services.store, { tenantId: TENANT, name: 'ci' });
    for (let i = 0; i < 3; i++) expect((await get(key)).status).toBe(200);
    expect(await revokeApiKey(other, TENANT, id)).toBe(true);
    const refused = await get(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.stringMatching(/revoked/) } });
    expect((await get(key)).status).toBe(401);
  });

  it('revoking one key leaves the other cached keys working', async () => {
    const a = await createApiKey(t.server.services.store, { tenantId: TENANT, name: 'a' });
    const b = await createApiKey(t.server.services.store, { tenantId: TENANT, name: 'b' });
    expect((await get(a.key)).status).toBe(200);
    expect((await get(b.key)).status).toBe(200);
    await revokeApiKey(other, TENANT, a.id);
    expect((await get(a.key)).status).toBe(401);
    expect((await get(b.key)).status).toBe(200);
  });

  it("a member's key stops working on the next request once the membership is removed elsewhere", async () => {
    const { key } = await memberKey('user_leaving', 'member');
    expect((await get(key)).status).toBe(200);
    expect((await get(key)).status).toBe(200);
    await other.db.deleteFrom('membership').where('tenant_id', '=', TENANT).where('user_id', '=', 'user_leaving').execute();
    const refused = await get(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { message: expect.stringMatching(/no longer a member/) } });
  });

  it('the auth epoch read never sees a bump before its transaction commits', async () => {
    const store = t.server.services.store;
    const { id } = await createApiKey(store, { tenantId: TENANT, name: 'in-flight' });
    const before = await store.readAuthEpoch();
    let seen: number | undefined;
    let seenBeforeCommit: number | undefined;
    let reading: Promise<void> | undefined;
    await store.transaction(async (tx) => {
      expect(await revokeApiKey(tx, TENANT, id)).toBe(true);
      // A request's epoch read while the revocation is open (SQLite: same connection, so it must wait).
      reading = store.readAuthEpoch().then((epoch) => {
        seen = epoch;
      });
      await tx.tenants.findMembership(TENANT, 'nobody');
      seenBeforeCommit = seen;
    });
    await reading;
    // Read during the transaction: the committed epoch; read after it: the bumped one.
    if (seenBeforeCommit !== undefined) expect(seenBeforeCommit).toBe(before);
    expect([before, before + 1]).toContain(seen);
    expect(await store.readAuthEpoch()).toBeGreaterThan(before);
  });

  it("a role changed elsewhere applies to the next request of a cached key", async () => {
    const { key } = await memberKey('user_demoted', 'owner');
    const victim = await createApiKey(t.server.services.store, { tenantId: TENANT, name: 'victim' });
    expect((await get(key)).status).toBe(200);
    await other.db.updateTable('membership').set({ role: 'member' }).where('tenant_id', '=', TENANT).where('user_id', '=', 'user_demoted').execute();
    // A member may revoke only keys they created: the demotion must be seen at once.
    const r = await fetch(`${t.baseURL}/v1/api_keys/${victim.id}`, { method: 'DELETE', headers: { 'x-api-key': key } });
    expect(r.status).toBe(403);
    expect((await get(victim.key)).status).toBe(200);
  });
});
