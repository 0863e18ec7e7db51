import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { WebhookTable } from '../../src/store/schema.ts';

function endpoint(id: string, tenantId: string, eventTypes: string[], patch: Partial<WebhookTable> = {}): WebhookTable {
  return {
    id, tenant_id: tenantId, url: 'https://example.com/hook', description: null, event_types: JSON.stringify(eventTypes),
    status: 'enabled', disabled_reason: null, secret: 'sb1.x', previous_secret: null, previous_secret_expires_at: null,
    failing_since: null, lease_owner: null, lease_until: null, created_at: 1000, updated_at: 1000, ...patch,
  };
}

describe.each(BACKENDS)('webhook outbox: enqueue in the triggering transaction (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    await store.webhooks.insert(endpoint('whk_all', 't1', []));
    await store.webhooks.insert(endpoint('whk_runs', 't1', ['deployment_run.failed']));
    await store.webhooks.insert(endpoint('whk_off', 't1', [], { status: 'disabled' }));
    await store.webhooks.insert(endpoint('whk_other', 't2', []));
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const deliveriesOf = (eventId: string) => store.db.selectFrom('webhook_deliveries').select(['webhook_id', 'state', 'attempts']).where('event_id', '=', eventId).orderBy('webhook_id').execute();

  it('writes the event and one pending delivery per enabled, subscribed endpoint of the tenant', async () => {
    const id = await store.transaction((tx) => tx.webhooks.enqueue('t1', { type: 'deployment_run.succeeded', id: 'drun_1' }, { now: 2000 }));
    expect(id).toMatch(/^event_/);
    expect(await deliveriesOf(id!)).toEqual([{ webhook_id: 'whk_all', state: 'pending', attempts: 0 }]);
    const failed = await store.transaction((tx) => tx.webhooks.enqueue('t1', { type: 'deployment_run.failed', id: 'drun_1' }, { now: 2000 }));
    expect((await deliveriesOf(failed!)).map((d) => d.webhook_id)).toEqual(['whk_all', 'whk_runs']);
    const event = await store.webhooks.findEvent(failed!);
    expect(JSON.parse(event!.data)).toEqual({ type: 'deployment_run.failed', id: 'drun_1' });
  });

  it('rolls back with the change: a transaction that throws leaves no event', async () => {
    let eventId: string | undefined;
    await expect(store.transaction(async (tx) => {
      eventId = await tx.webhooks.enqueue('t1', { type: 'deployment_run.started', id: 'drun_2' }, { now: 3000 });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    expect(eventId).toBeDefined();
    expect(await store.webhooks.findEvent(eventId!)).toBeUndefined();
    expect(await deliveriesOf(eventId!)).toEqual([]);
  });

  it('writes nothing when no endpoint wants the event, or for endpoints created after it happened', async () => {
    expect(await store.transaction((tx) => tx.webhooks.enqueue('t3', { type: 'deployment_run.started', id: 'drun_3' }, { now: 4000 }))).toBeUndefined();
    expect(await store.transaction((tx) => tx.webhooks.enqueue('t1', { type: 'deployment_run.started', id: 'drun_3' }, { now: 4000, occurredAt: 999 }))).toBeUndefined();
    const count = await store.db.selectFrom('webhook_events').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', 't3').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
});
