/**
 * The one-unit append (issue 19: one statement on Postgres, one prepared transaction on SQLite):
 * fencing refuses a superseded lease and writes nothing, the session patch and processed marks
 * land with the events, a failing batch leaves no gap in the sequence, an unknown session or a
 * foreign tenant is not found, and a takeover racing fenced appends never sees one land after it.
 */
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { EventLog, LeaseLostError } from '../../src/events/log.ts';
import { InProcessEventHub } from '../../src/events/hub.ts';
import { NotFoundError } from '../../src/errors.ts';
import { newId } from '../../src/lib/ids.ts';
import { newEvent } from '../../src/events/types.ts';

const TENANT = 'tenant_append';

function message(text: string, processedAt: number | null = Date.now()) {
  return newEvent('agent.message', { content: [{ type: 'text', text }] }, processedAt);
}

describe.each(BACKENDS)('one-unit event append (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  let log: EventLog;
  beforeAll(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.database);
    log = new EventLog(store, new InProcessEventHub());
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  async function newSession(): Promise<string> {
    const id = newId('sesn');
    const now = Date.now();
    await store.sessions.insert({
      id, tenant_id: TENANT, agent_id: null, agent_version: null, agent: null, environment_id: 'env_x', title: null,
      metadata: '{}', vault_ids: '[]', resources: '[]', status: 'idle', last_seq: 0, usage: '{}', active_ms: 0,
      created_at: now, updated_at: now, archived_at: null, turn_id: null, environment_config: null,
    });
    return id;
  }

  async function takeLease(sessionId: string, owner: string, now = Date.now(), ttlMs = 60_000) {
    const lease = await store.transaction((tx) => tx.leases.acquire(sessionId, owner, now, ttlMs));
    expect(lease).toBeDefined();
    return { owner, token: Number(lease!.token) };
  }

  const seqs = async (sessionId: string) => (await log.list(TENANT, sessionId, { order: 'asc', limit: 1000 })).map((e) => e.seq);

  it('a fenced append with a superseded token is refused and writes nothing; the current holder appends', async () => {
    const s = await newSession();
    const old = await takeLease(s, 'worker_a', Date.now(), 1);
    await log.append(TENANT, s, [message('one')], { lease: old });
    const current = await takeLease(s, 'worker_b', Date.now() + 10);
    expect(current.token).toBe(old.token + 1);
    await expect(log.append(TENANT, s, [message('late')], { lease: old, sessionPatch: { status: 'running' } })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await seqs(s)).toEqual([1]);
    expect((await store.sessions.find(TENANT, s))?.status).toBe('idle');
    const [e] = await log.append(TENANT, s, [message('two')], { lease: current });
    expect(e!.seq).toBe(2);
  });

  it('the session patch and processed marks land with the events, marks at the first event\'s processed_at', async () => {
    const s = await newSession();
    const queued = await log.append(TENANT, s, [newEvent('user.message', { content: [{ type: 'text', text: 'q1' }] }, null), newEvent('user.message', { content: [{ type: 'text', text: 'q2' }] }, null)]);
    expect(queued.map((e) => e.processedAt)).toEqual([null, null]);
    const lease = await takeLease(s, 'worker_a');
    const at = Date.now() + 5;
    const out = await log.append(TENANT, s, [message('answer', at), message('more', at + 1)], {
      lease, markProcessed: [queued[0]!.id], sessionPatch: { status: 'running', turn_id: 'turn_1', usage: '{"input_tokens":3}', active_ms: 7 },
    });
    expect(out.map((e) => e.seq)).toEqual([3, 4]);
    expect(out.map((e) => e.payload)).toEqual([{ content: [{ type: 'text', text: 'answer' }] }, { content: [{ type: 'text', text: 'more' }] }]);
    const events = await log.list(TENANT, s, { order: 'asc', limit: 10 });
    expect(events.map((e) => e.processedAt)).toEqual([at, null, at, at + 1]);
    const row = await store.sessions.find(TENANT, s);
    expect(row).toMatchObject({ status: 'running', turn_id: 'turn_1', usage: '{"input_tokens":3}', active_ms: 7 });
    expect(Number(row!.last_seq)).toBe(4);
  });

  it('a batch that fails part-way writes nothing and leaves no gap in the sequence', async () => {
    const s = await newSession();
    const [first] = await log.append(TENANT, s, [message('one')]);
    // The second row reuses an existing event id (unique): the whole batch, and its seq bump, roll back.
    await expect(log.append(TENANT, s, [message('two'), { ...message('dup'), id: first!.id }])).rejects.toThrow();
    expect(await seqs(s)).toEqual([1]);
    expect(Number((await store.sessions.find(TENANT, s))!.last_seq)).toBe(1);
    const [next] = await log.append(TENANT, s, [message('three')]);
    expect(next!.seq).toBe(2);
  });

  it('an unknown session, or another tenant\'s, is not found and nothing is written', async () => {
    const s = await newSession();
    await expect(log.append(TENANT, 'sesn_unknown', [message('x')])).rejects.toBeInstanceOf(NotFoundError);
    await expect(log.append('tenant_other', s, [message('x')])).rejects.toBeInstanceOf(NotFoundError);
    expect(await seqs(s)).toEqual([]);
  });

  it('an append made while a store transaction is open waits for it, never joins it, and takes the next seq', async () => {
    const s = await newSession();
    await log.append(TENANT, s, [message('first')]);
    let appended: number | undefined;
    let pending: Promise<void> | undefined;
    await expect(store.transaction(async (tx) => {
      const inserted = await tx.events.append(TENANT, s, [{ ...message('rolled back'), id: newId('sevt') }], Date.now());
      expect(inserted?.[0]?.seq).toBe(2);
      pending = log.append(TENANT, s, [message('outside')]).then(([e]) => {
        appended = e!.seq;
      });
      await tx.sessions.find(TENANT, s);
      // Still open: had the append run now (SQLite: on this same connection) it would be part of this transaction.
      expect(appended).toBeUndefined();
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    await pending;
    // The rolled-back event left no trace and the outside append took seq 2 on its own.
    expect(appended).toBe(2);
    const events = await log.list(TENANT, s, { order: 'asc', limit: 10 });
    expect(events.map((e) => [e.seq, (e.payload.content as { text: string }[])[0]!.text])).toEqual([[1, 'first'], [2, 'outside']]);
  });

  it('a takeover racing fenced appends: every append of the old holder that landed precedes the new holder\'s', async () => {
    const s = await newSession();
    const old = await takeLease(s, 'worker_a', Date.now(), 1);
    const oldSeqs: number[] = [];
    let refused = 0;
    let tenLanded!: () => void;
    const landed = new Promise<void>((resolve) => { tenLanded = resolve; });
    const writers = Array.from({ length: 4 }, async () => {
      // Each writer appends until its lease is refused (at most 1,000 times, so a bug cannot spin forever).
      for (let i = 0; i < 1000; i++) {
        try {
          const [e] = await log.append(TENANT, s, [message('old')], { lease: old });
          oldSeqs.push(e!.seq);
          if (oldSeqs.length === 10) tenLanded();
        } catch (err) {
          if (!(err instanceof LeaseLostError)) throw err;
          refused++;
          return;
        }
      }
    });
    await Promise.race([landed, Promise.all(writers)]);
    expect(oldSeqs.length).toBeGreaterThanOrEqual(10);
    const current = await takeLease(s, 'worker_b', Date.now() + 10);
    const [mine] = await log.append(TENANT, s, [message('new')], { lease: current });
    await Promise.all(writers);
    expect(refused).toBeGreaterThan(0);
    expect(Math.max(...oldSeqs)).toBeLessThan(mine!.seq);
    const all = await seqs(s);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.length).toBe(oldSeqs.length + 1);
  });
});
