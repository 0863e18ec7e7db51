/**
 * Webhook outbox retention: finished deliveries (delivered, or failed after the last retry) older
 * than the retention are deleted with their attempts, in bounded batches, and an event goes with
 * its last delivery; pending deliveries, recent ones, and events another endpoint still needs stay.
 * Pending deliveries of an endpoint that is not enabled (kept for a re-enable, which resumes them:
 * SDK `state`) go once they are older than the retention, as finished ones do.
 * The dispatcher runs the sweep (WEBHOOK_RETENTION_DAYS). Deleting an endpoint deletes the events
 * only it had a delivery of.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { WebhookTable } from '../../src/store/schema.ts';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { AesGcmSecretBox } from '../../src/vault/secret-box.ts';

const DAY = 86_400_000;
const TENANT = 't_retention';

function endpoint(id: string, status = 'disabled'): WebhookTable {
  return {
    id, tenant_id: TENANT, url: 'https://example.com/hook', description: null, event_types: '[]',
    status, disabled_reason: null, secret: 'sb1.x', previous_secret: null, previous_secret_expires_at: null,
    failing_since: null, lease_owner: null, lease_until: null, created_at: 1000, updated_at: 1000,
  };
}

describe.each(BACKENDS)('webhook outbox retention (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  const clock = new ManualClock();
  const now = clock.now();
  const old = now - 40 * DAY;

  /** An event with one delivery per endpoint in the given state, last changed at `at`, each with one attempt. */
  async function event(id: string, deliveries: { webhook: string; state: string; at: number }[]): Promise<void> {
    await store.db.insertInto('webhook_events').values({ id, tenant_id: TENANT, type: 'deployment.updated', data: '{}', session_id: null, session_seq: null, created_at: old }).execute();
    for (const d of deliveries) {
      const deliveryId = `whdlv_${id}_${d.webhook}`;
      await store.db.insertInto('webhook_deliveries').values({
        id: deliveryId, tenant_id: TENANT, webhook_id: d.webhook, event_id: id, event_type: 'deployment.updated', event_created_at: old, event_order: 0,
        state: d.state, attempts: 1, next_attempt_at: d.state === 'pending' ? d.at : null, last_attempt_at: d.at, last_status_code: 200, last_error: null,
        delivered_at: d.state === 'delivered' ? d.at : null, created_at: old, updated_at: d.at,
      }).execute();
      await store.webhooks.insertAttempt({ delivery_id: deliveryId, attempt: 1, tenant_id: TENANT, kind: 'automatic', started_at: d.at, duration_ms: 5, status_code: 200, error: null });
    }
  }
  const deliveries = async () => (await store.db.selectFrom('webhook_deliveries').select('id').orderBy('id').execute()).map((r) => r.id);
  const events = async () => (await store.db.selectFrom('webhook_events').select('id').orderBy('id').execute()).map((r) => r.id);
  const attempts = async () => (await store.db.selectFrom('webhook_delivery_attempts').select('delivery_id').orderBy('delivery_id').execute()).map((r) => r.delivery_id);

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    await store.webhooks.insert(endpoint('whk_a'));
    // Enabled: its pending delivery is owed (this store has no dispatcher sending it).
    await store.webhooks.insert(endpoint('whk_b', 'enabled'));
    await event('event_done', [{ webhook: 'whk_a', state: 'delivered', at: old }, { webhook: 'whk_b', state: 'failed', at: old }]);
    await event('event_shared', [{ webhook: 'whk_a', state: 'delivered', at: old }, { webhook: 'whk_b', state: 'pending', at: old }]);
    await event('event_recent', [{ webhook: 'whk_a', state: 'delivered', at: now - DAY }]);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('deletes old finished deliveries in batches of the given size, with their attempts and the events no delivery needs', async () => {
    const cutoff = now - 30 * DAY;
    expect(await store.transaction((tx) => tx.webhooks.deleteFinishedBefore(cutoff, 2))).toBe(2);
    expect(await store.transaction((tx) => tx.webhooks.deleteFinishedBefore(cutoff, 2))).toBe(1);
    expect(await store.transaction((tx) => tx.webhooks.deleteFinishedBefore(cutoff, 2))).toBe(0);
    expect(await deliveries()).toEqual(['whdlv_event_recent_whk_a', 'whdlv_event_shared_whk_b']);
    expect(await attempts()).toEqual(['whdlv_event_recent_whk_a', 'whdlv_event_shared_whk_b']);
    // event_shared stays while whk_b's delivery of it is pending.
    expect(await events()).toEqual(['event_recent', 'event_shared']);
  });

  it('an endpoint not enabled keeps its pending deliveries for the retention, then loses them like finished ones', async () => {
    await store.webhooks.insert(endpoint('whk_off'));
    await store.webhooks.insert(endpoint('whk_auto', 'auto_disabled'));
    await event('event_off_old', [{ webhook: 'whk_off', state: 'pending', at: old }, { webhook: 'whk_auto', state: 'pending', at: old }]);
    await event('event_off_recent', [{ webhook: 'whk_off', state: 'pending', at: now - DAY }]);
    expect(await store.transaction((tx) => tx.webhooks.deleteFinishedBefore(now - 30 * DAY, 10))).toBe(2);
    // The enabled endpoint's old pending delivery and the recent one of the disabled endpoint stay.
    expect(await deliveries()).toEqual(['whdlv_event_off_recent_whk_off', 'whdlv_event_recent_whk_a', 'whdlv_event_shared_whk_b']);
    expect(await attempts()).toEqual(['whdlv_event_off_recent_whk_off', 'whdlv_event_recent_whk_a', 'whdlv_event_shared_whk_b']);
    expect(await events()).toEqual(['event_off_recent', 'event_recent', 'event_shared']);
    for (const id of ['whk_off', 'whk_auto']) await store.transaction((tx) => tx.webhooks.delete(TENANT, id));
    expect(await events()).toEqual(['event_recent', 'event_shared']);
  });

  it('deleting an endpoint deletes the events only it had a delivery of', async () => {
    await store.webhooks.insert(endpoint('whk_c'));
    await store.webhooks.insert(endpoint('whk_d'));
    await event('event_only_c', [{ webhook: 'whk_c', state: 'pending', at: now }]);
    await event('event_c_and_d', [{ webhook: 'whk_c', state: 'delivered', at: now }, { webhook: 'whk_d', state: 'pending', at: now }]);
    expect(await store.transaction((tx) => tx.webhooks.delete(TENANT, 'whk_c'))).toBe(true);
    expect(await events()).toEqual(['event_c_and_d', 'event_recent', 'event_shared']);
    expect(await store.transaction((tx) => tx.webhooks.delete(TENANT, 'whk_d'))).toBe(true);
    expect(await events()).toEqual(['event_recent', 'event_shared']);
    expect(await attempts()).toEqual(['whdlv_event_recent_whk_a', 'whdlv_event_shared_whk_b']);
  });

  it('the dispatcher sweeps with its retention, and the shared event goes with its last delivery', async () => {
    await store.db.updateTable('webhook_deliveries').set({ state: 'failed', next_attempt_at: null }).where('id', '=', 'whdlv_event_shared_whk_b').execute();
    const dispatcher = (retentionMs: number) => new WebhookDispatcher({
      store, secretBox: new AesGcmSecretBox('s'.repeat(64)), logger: pino({ level: 'silent' }), owner: 'retention', leaseTtlMs: 30_000, pollMs: 60_000, clock, retentionMs,
      http: { post: () => Promise.reject(new Error('nothing is sent in this test')) },
    });
    await dispatcher(30 * DAY).runOnce();
    expect(await deliveries()).toEqual(['whdlv_event_recent_whk_a']);
    expect(await events()).toEqual(['event_recent']);
    await dispatcher(DAY / 2).runOnce();
    expect(await deliveries()).toEqual([]);
    expect(await events()).toEqual([]);
    expect(await attempts()).toEqual([]);
  });
});
