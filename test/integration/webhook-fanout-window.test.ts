/**
 * The dispatcher's fan-out poll reads the sessions that changed, not every session: after a full
 * sweep, a pass asks only for sessions whose updated_at is in its window, and the database answers
 * that from the sessions_updated index (the plan names it with the bound; no scan of sessions). A
 * change the window misses (a commit stamped before it) is fanned out by the restart's or the
 * periodic full sweep: late, never lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { capturingDb, explain } from '../support/query-plan.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { WebhookTable } from '../../src/store/schema.ts';
import { WebhooksRepository } from '../../src/store/webhooks-repository.ts';
import { CHANGE_MARGIN_MS, FULL_SWEEP_MS, WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { AesGcmSecretBox } from '../../src/vault/secret-box.ts';
import { sessionRow } from '../../bench/databases.ts';

const TENANT = 't_window';
const MINUTE = 60_000;

/** An endpoint of the tenant that subscribes to none of the session events: fan-out moves cursors, sends nothing. */
function endpoint(id: string): WebhookTable {
  return {
    id, tenant_id: TENANT, url: 'https://example.com/hook', description: null, event_types: JSON.stringify(['deployment_run.failed']),
    status: 'enabled', disabled_reason: null, secret: 'sb1.x', previous_secret: null, previous_secret_expires_at: null,
    failing_since: null, lease_owner: null, lease_until: null, created_at: 1000, updated_at: 1000,
  };
}

describe.each(BACKENDS)('webhook fan-out reads changed sessions only (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  const clock = new ManualClock();
  const dispatcher = () => new WebhookDispatcher({
    store, secretBox: new AesGcmSecretBox('s'.repeat(64)), logger: pino({ level: 'silent' }), owner: 'window', leaseTtlMs: 30_000, pollMs: 60_000, clock,
    http: { post: () => Promise.reject(new Error('nothing is sent in this test')) },
  });
  const cursorOf = async (id: string) => {
    const row = await store.db.selectFrom('webhook_session_cursors').select('seq').where('session_id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : Number(row.seq);
  };
  /** An append as the append path writes it: last_seq and updated_at bumped together. */
  const append = (id: string, updatedAt: number) => store.db.updateTable('sessions')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1), updated_at: updatedAt })).where('id', '=', id).execute();

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    await store.webhooks.insert(endpoint('whk_window'));
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('asks for the window only, answered from the sessions_updated index', async () => {
    const base = 10_000;
    for (let i = 0; i < 30; i++) await store.sessions.insert(sessionRow(`sesn_w${String(i).padStart(2, '0')}`, TENANT, { created_at: base, updated_at: base + i, last_seq: 1 }));
    // Every session but the three newest is up to date.
    for (let i = 0; i < 27; i++) await store.webhooks.advanceCursor({ id: `sesn_w${String(i).padStart(2, '0')}`, tenantId: TENANT }, null, 1, base);
    // Behind, but changed before the window: a full sweep finds it, the window does not.
    await store.webhooks.advanceCursor({ id: 'sesn_w05', tenantId: TENANT }, 1, 0, base);

    const { db: spy, captured } = capturingDb(store);
    const windowed = await new WebhooksRepository(spy).sessionsToFanOut(200, base + 20);
    expect(windowed.map((s) => s.id)).toEqual(['sesn_w27', 'sesn_w28', 'sesn_w29']);
    expect((await store.webhooks.sessionsToFanOut(200)).map((s) => s.id).sort()).toEqual(['sesn_w05', 'sesn_w27', 'sesn_w28', 'sesn_w29']);

    const compiled = captured.at(-1)!;
    const plan = await explain(store, backend, compiled);
    expect(plan).toMatch(/sessions_updated/);
    expect(plan).toMatch(backend === 'sqlite' ? /SEARCH s USING INDEX sessions_updated \(updated_at>\?\)/ : /Index Cond: \(updated_at >= /);
    expect(plan).not.toMatch(backend === 'sqlite' ? /SCAN s\b/ : /Seq Scan on sessions/);
    await store.db.deleteFrom('webhook_session_cursors').execute();
    await store.db.deleteFrom('sessions').execute();
  });

  it('a pass after a full sweep skips sessions changed before its window; the next full sweep fans them out', async () => {
    const now = clock.now();
    await store.sessions.insert(sessionRow('sesn_quiet', TENANT, { created_at: now - 10 * MINUTE, updated_at: now - 10 * MINUTE }));
    await store.sessions.insert(sessionRow('sesn_busy', TENANT, { created_at: now, updated_at: now }));
    const first = dispatcher();
    await first.runOnce();
    expect([await cursorOf('sesn_quiet'), await cursorOf('sesn_busy')]).toEqual([0, 0]);

    // A commit stamped long before the window (a writer's clock behind by more than the margin), and an ordinary one.
    await append('sesn_quiet', now - 2 * CHANGE_MARGIN_MS);
    await append('sesn_busy', clock.now());
    await first.runOnce();
    expect(await cursorOf('sesn_busy')).toBe(1);
    expect(await cursorOf('sesn_quiet')).toBe(0);

    // A restarted instance starts with a full sweep.
    await dispatcher().runOnce();
    expect(await cursorOf('sesn_quiet')).toBe(1);

    // And a running one sweeps everything again FULL_SWEEP_MS after its last full sweep.
    await append('sesn_quiet', now - 2 * CHANGE_MARGIN_MS);
    await first.runOnce();
    expect(await cursorOf('sesn_quiet')).toBe(1);
    clock.advance(FULL_SWEEP_MS);
    await first.runOnce();
    expect(await cursorOf('sesn_quiet')).toBe(2);
  });
});
