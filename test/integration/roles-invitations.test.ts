/**
 * Issue #24, findings 4 and 10, from their reproductions: an API key minted by a member revoked the
 * owner's keys (`DELETE /v1/api_keys/{id}` → 200) while the member's cookie was refused (403); and
 * `POST /v1/tenant/members {email}` added any signed-up user without consent, answering 200 with their
 * id and name for an account and 404 for none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { expectError, raw, type RawResponse } from '../support/http.ts';

const PASSWORD = 'correct horse battery';

describe.each(BACKENDS)('key roles and invitations (%s)', (backend) => {
  let t: TestServer;
  let owner: ConsoleClient;
  let member: ConsoleClient;
  let outsider: ConsoleClient;
  let tenant: string;
  let asMember: Record<string, string>;

  const withKey = (key: string, method: string, path: string, body?: unknown): Promise<RawResponse> =>
    raw(t.baseURL, method, path, { apiKey: key, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    t = await startTestServer(backend);
    owner = new ConsoleClient(t.baseURL);
    member = new ConsoleClient(t.baseURL);
    outsider = new ConsoleClient(t.baseURL);
    expect((await owner.signUp('olga@example.com', PASSWORD, 'Olga')).status).toBe(200);
    expect((await member.signUp('max@example.com', PASSWORD, 'Max')).status).toBe(200);
    expect((await outsider.signUp('otto@example.com', PASSWORD, 'Otto')).status).toBe(200);
    tenant = (await owner.request('GET', '/v1/me')).json.tenant.id;
    asMember = { 'x-oma-tenant': tenant };
    const invitation = await owner.request('POST', '/v1/tenant/invitations', { email: 'max@example.com', role: 'member' });
    expect(invitation.status, invitation.text).toBe(200);
    expect((await member.request('POST', `/v1/tenant/invitations/${invitation.json.id}/accept`)).status).toBe(200);
  });
  afterAll(() => t.stop());

  it("a member's key cannot revoke the owner's keys; it acts with the member's role", async () => {
    const ownerKey = (await owner.request('POST', '/v1/api_keys', { name: 'owner' })).json;
    const memberKey = (await member.request('POST', '/v1/api_keys', { name: 'member' }, asMember)).json;
    const memberOther = (await member.request('POST', '/v1/api_keys', { name: 'member-2' }, asMember)).json;
    expect(memberKey.key).toMatch(/^oma_/);
    // The reproduction: this was 200.
    expectError(await withKey(memberKey.key, 'DELETE', `/v1/api_keys/${ownerKey.id}`), 403, 'permission_error', /only the API keys they created/);
    expectError(await member.request('DELETE', `/v1/api_keys/${ownerKey.id}`, undefined, asMember), 403, 'permission_error');
    expect((await withKey(ownerKey.key, 'GET', '/v1/agents')).status).toBe(200);
    // The member's key may revoke the member's own keys; the owner's key may revoke anyone's.
    expect((await withKey(memberKey.key, 'DELETE', `/v1/api_keys/${memberOther.id}`)).status).toBe(200);
    expect((await withKey(ownerKey.key, 'DELETE', `/v1/api_keys/${memberKey.id}`)).status).toBe(200);
    const me = await withKey(ownerKey.key, 'GET', '/v1/me');
    expect(me.json.tenant).toMatchObject({ id: tenant, role: 'owner' });
  });

  it('every owner-only route refuses the member, by cookie and by key (403)', async () => {
    const ownerKey = (await owner.request('POST', '/v1/api_keys', { name: 'target' })).json;
    const memberKey = (await member.request('POST', '/v1/api_keys', { name: 'probe' }, asMember)).json;
    const pending = (await owner.request('POST', '/v1/tenant/invitations', { email: 'someone@example.com' })).json;
    const ownerOnly: Array<[string, string, unknown?]> = [
      ['POST', '/v1/tenant/invitations', { email: 'x@example.com' }],
      ['POST', '/v1/tenant/members', { email: 'x@example.com' }],
      ['GET', '/v1/tenant/invitations?direction=sent'],
      ['DELETE', `/v1/tenant/invitations/${pending.id}`],
      ['DELETE', `/v1/api_keys/${ownerKey.id}`],
    ];
    for (const [method, path, body] of ownerOnly) {
      expectError(await member.request(method, path, body, asMember), 403, 'permission_error');
      expectError(await withKey(memberKey.key, method, path, body), 403, 'permission_error');
    }
    // Nothing happened: the owner's key works, the invitation is still pending, no invitation to x@.
    expect((await withKey(ownerKey.key, 'GET', '/v1/agents')).status).toBe(200);
    const sent = (await owner.request('GET', '/v1/tenant/invitations?direction=sent')).json.data;
    expect(sent.find((i: { id: string }) => i.id === pending.id).status).toBe('pending');
    expect(sent.some((i: { email: string }) => i.email === 'x@example.com')).toBe(false);
    // The owner passes them (by cookie; minting and inviting need a person, not a key).
    expect((await owner.request('DELETE', `/v1/tenant/invitations/${pending.id}`)).json.status).toBe('revoked');
    expect((await withKey(ownerKey.key, 'GET', '/v1/tenant/invitations?direction=sent')).status).toBe(200);
  });

  it('an invitation does not reveal whether the address has an account', async () => {
    const existing = await owner.request('POST', '/v1/tenant/invitations', { email: 'otto@example.com' });
    const unknown = await owner.request('POST', '/v1/tenant/invitations', { email: 'nobody-here@example.com' });
    expect(existing.status).toBe(200);
    expect(unknown.status).toBe(200);
    const shape = (r: RawResponse) => ({ ...r.json, id: 'x', email: 'x', created_at: 'x', expires_at: 'x' });
    expect(shape(existing)).toEqual(shape(unknown));
    expect(existing.text).not.toMatch(/Otto|user_/);
    // The old route now invites too: no member is added, nothing about the account comes back.
    const legacy = await owner.request('POST', '/v1/tenant/members', { email: 'NEW-one@example.com' });
    expect(legacy.json).toMatchObject({ type: 'invitation', email: 'new-one@example.com', status: 'pending' });
    const members = (await owner.request('GET', '/v1/tenant/members')).json.data.map((m: { email: string }) => m.email);
    expect(members).not.toContain('otto@example.com');
    expect(members).not.toContain('new-one@example.com');
    await owner.request('DELETE', `/v1/tenant/invitations/${unknown.json.id}`);
    await owner.request('DELETE', `/v1/tenant/invitations/${legacy.json.id}`);
  });

  it('the invitee sees, declines or accepts; nobody else can see or answer it', async () => {
    const invited = (await owner.request('POST', '/v1/tenant/invitations', { email: 'otto@example.com', role: 'owner' })).json;
    // otto already has one pending from the previous test: the conflict is the owner's own data.
    expect(invited.type).toBe('error');
    const mine = (await outsider.request('GET', '/v1/tenant/invitations')).json.data;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ tenant_id: tenant, tenant_name: expect.stringContaining('Olga'), role: 'member', status: 'pending' });
    const id = mine[0].id as string;
    expect((await member.request('GET', '/v1/tenant/invitations')).json.data).toEqual([]);
    expectError(await member.request('POST', `/v1/tenant/invitations/${id}/accept`), 404, 'not_found_error');
    expectError(await member.request('POST', `/v1/tenant/invitations/${id}/decline`), 404, 'not_found_error');
    expectError(await outsider.request('GET', '/v1/agents', undefined, asMember), 403, 'permission_error');

    expect((await outsider.request('POST', `/v1/tenant/invitations/${id}/decline`)).json.status).toBe('declined');
    expectError(await outsider.request('POST', `/v1/tenant/invitations/${id}/accept`), 404, 'not_found_error');
    expectError(await outsider.request('GET', '/v1/agents', undefined, asMember), 403, 'permission_error');

    const again = (await owner.request('POST', '/v1/tenant/invitations', { email: 'otto@example.com' })).json;
    const accepted = await outsider.request('POST', `/v1/tenant/invitations/${again.id}/accept`);
    expect(accepted.json).toMatchObject({ status: 'accepted', role: 'member' });
    expect((await outsider.request('GET', '/v1/agents', undefined, asMember)).status).toBe(200);
    expectError(await outsider.request('POST', `/v1/tenant/invitations/${again.id}/accept`), 404, 'not_found_error');
    // A key shows its user's invitations, but answering one takes the person (a cookie), not a key.
    const third = (await owner.request('POST', '/v1/tenant/invitations', { email: 'max@example.com' })).json;
    expect(third.type).toBe('error'); // max is a member already
    const other = new ConsoleClient(t.baseURL);
    expect((await other.signUp('ida@example.com', PASSWORD)).status).toBe(200);
    const forIda = (await owner.request('POST', '/v1/tenant/invitations', { email: 'ida@example.com' })).json;
    const key = (await other.request('POST', '/v1/api_keys', { name: 'k' })).json.key;
    expect((await withKey(key, 'GET', '/v1/tenant/invitations')).json.data.map((i: { id: string }) => i.id)).toEqual([forIda.id]);
    expectError(await withKey(key, 'POST', `/v1/tenant/invitations/${forIda.id}/accept`), 404, 'not_found_error', /not with an API key/);
    expect((await other.request('GET', '/v1/agents', undefined, asMember)).status).toBe(403);
  });

  it('an expired invitation cannot be accepted and no longer blocks a new one', async () => {
    const stale = (await owner.request('POST', '/v1/tenant/invitations', { email: 'late@example.com' })).json;
    await t.server.services.store.db.updateTable('tenant_invitations').set({ expires_at: Date.now() - 1 }).where('id', '=', stale.id).execute();
    const late = new ConsoleClient(t.baseURL);
    expect((await late.signUp('late@example.com', PASSWORD)).status).toBe(200);
    expect((await late.request('GET', '/v1/tenant/invitations')).json.data).toEqual([]);
    expectError(await late.request('POST', `/v1/tenant/invitations/${stale.id}/accept`), 404, 'not_found_error');
    const fresh = await owner.request('POST', '/v1/tenant/invitations', { email: 'late@example.com' });
    expect(fresh.status, fresh.text).toBe(200);
    const sent = (await owner.request('GET', '/v1/tenant/invitations?direction=sent')).json.data;
    expect(sent.find((i: { id: string }) => i.id === stale.id).status).toBe('revoked');
  });
});
