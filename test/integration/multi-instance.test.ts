/**
 * Two server processes on one Postgres database (issue 6, "Ownership"): while both run, each
 * session is worked by exactly one of them at a time (its lease); after kill -9 of one mid-turn,
 * the other takes its sessions over once their leases expire (LEASE_TTL_MS=1000 here) and
 * finishes the turns, with the recovery invariants intact.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts';
import { siblingDataDir, startChildServer, type ChildServer } from '../support/child-process.ts';
import { startFakeModel, type FakeModel } from '../support/fake-model/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { ScriptedAgent, planOf } from '../../scripts/crash-test/scripted-agent.ts';
import { encodePlan, type MessagePlan } from '../../scripts/crash-test/plan.ts';
import { DbProbe } from '../../scripts/crash-test/db-probe.ts';
import { checkSession } from '../../scripts/crash-test/invariants.ts';
import { listAllEvents, postJson } from '../../scripts/crash-test/api.ts';

interface LeaseSample { at: number; owner: string; token: number }

const plan = (sessionTag: string): MessagePlan => ({
  sessionTag, messageTag: 'm0', chunkDelayMs: 5, textLength: 40,
  steps: [{ kind: 'bash', sleepMs: 400, failOnce: false }, { kind: 'bash', sleepMs: 400, failOnce: false }, { kind: 'read', sleepMs: 0, failOnce: false }, { kind: 'bash', sleepMs: 400, failOnce: false }],
});

describe.skipIf(!BACKENDS.includes('postgres'))('two server processes on one Postgres database', () => {
  let fake: FakeModel;
  let model: ScriptedAgent;
  let db: TestDatabase;
  let store: Store;
  let a: ChildServer;
  let b: ChildServer;
  const env = (instance: string) => ({ ANTHROPIC_BASE_URL: fake.url, MODEL_RETRY_BASE_MS: '10', LEASE_TTL_MS: '1000', INSTANCE_ID: instance });

  beforeAll(async () => {
    fake = await startFakeModel();
    model = new ScriptedAgent();
    fake.respondWith(model.respond);
    db = await createTestDatabase('postgres');
    a = await startChildServer(db, { env: env('instance-a') }); // first: generates the shared secrets in DATA_DIR
    // Its own DATA_DIR (one server per DATA_DIR), the same session working directories (as a shared volume would be).
    b = await startChildServer(db, { env: { ...env('instance-b'), SANDBOX_WORKDIR: join(db.dataDir, 'sandboxes') }, dataDir: siblingDataDir(db, 'instance-b') });
    store = await openStore(db.database);
  }, 90_000);
  afterAll(async () => {
    await a?.kill();
    await b?.kill();
    await store?.close();
    await fake?.close();
    await db?.drop();
  });

  it('works each session with one owner at a time, and after kill -9 of one the other takes over once the lease expires', async () => {
    const probe = new DbProbe(store);
    const agent = await postJson<{ id: string }>(a.baseURL, '/v1/agents', { name: 'two', model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401' }] });
    const sessions: { id: string; tag: string; ack: Map<string, string> }[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await postJson<{ id: string }>(a.baseURL, '/v1/sessions', { agent: agent.id });
      sessions.push({ id: s.id, tag: `two${i}`, ack: new Map() });
    }
    // Sample who holds each lease, every few ms, for the whole test.
    const samples = new Map<string, LeaseSample[]>(sessions.map((s) => [s.id, []]));
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const row of await store.db.selectFrom('session_leases').selectAll().execute()) {
          const list = samples.get(row.session_id);
          const last = list?.at(-1);
          if (list && (!last || last.owner !== row.owner || last.token !== Number(row.token))) list.push({ at: Date.now(), owner: row.owner, token: Number(row.token) });
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    for (const [i, s] of sessions.entries()) {
      const text = encodePlan(plan(s.tag));
      const res = await postJson<{ data: { id: string }[] }>((i % 2 === 0 ? a : b).baseURL, `/v1/sessions/${s.id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
      s.ack.set('m0', res.data[0]!.id);
    }

    // Kill instance A while it is running a tool of a session it holds.
    const victim = await waitFor(async () => {
      const held = await store.db.selectFrom('session_leases').selectAll().where('owner', '=', 'instance-a').where('expires_at', '>', Date.now()).execute();
      for (const lease of held) {
        const rows = await store.db.selectFrom('session_events').select(['type', 'payload']).where('session_id', '=', lease.session_id).where('type', 'in', ['oma.tool_execution_started', 'agent.tool_result']).execute();
        const started = rows.filter((r) => r.type === 'oma.tool_execution_started').length;
        if (started > rows.length - started) return lease.session_id;
      }
      return undefined;
    }, { timeoutMs: 30_000, intervalMs: 5, message: 'instance A never ran a tool' });
    await a.kill();
    const killedAt = Date.now();
    const leaseAtKill = await store.db.selectFrom('session_leases').selectAll().where('session_id', '=', victim).executeTakeFirstOrThrow();
    const seqAtKill = (await probe.session(victim)).last_seq;

    await waitFor(async () => [...(await probe.snapshot(sessions.map((s) => s.id))).values()].every((s) => s.settled), { timeoutMs: 60_000, message: 'the sessions did not finish' });
    sampling = false;
    await sampler;

    for (const s of sessions) {
      const violations = checkSession({
        sessionId: s.id, variant: 'allow', events: await listAllEvents(b.baseURL, s.id), rows: await probe.rows(s.id), session: await probe.session(s.id),
        acknowledged: s.ack, sentTags: ['m0'], sandboxDir: join(db.dataDir, 'sandboxes', s.id),
      });
      expect(violations).toEqual([]);
    }
    // The takeover waited for the lease to expire, then recovered the turn.
    expect(leaseAtKill.owner).toBe('instance-a');
    const firstAfter = await store.db.selectFrom('session_events').select(['created_at']).where('session_id', '=', victim).where('seq', '>', seqAtKill).orderBy('seq').executeTakeFirstOrThrow();
    expect(Number(firstAfter.created_at)).toBeGreaterThanOrEqual(Number(leaseAtKill.expires_at));
    expect(samples.get(victim)!.at(-1)!.owner).toBe('instance-b');
    const victimEvents = await listAllEvents(b.baseURL, victim);
    expect(victimEvents.some((e) => e.type === 'oma.turn_recovered')).toBe(true);
    expect(Number(firstAfter.created_at) - killedAt).toBeLessThan(10_000);
    // One owner at a time: a session's model requests never overlap, and lease tokens only grow.
    const bySession = new Map<string, { receivedAt: number; closedAt?: number }[]>();
    for (const r of fake.requests) {
      const tag = planOf(r)?.sessionTag ?? '?';
      bySession.set(tag, [...(bySession.get(tag) ?? []), r]);
    }
    for (const [tag, requests] of bySession) {
      for (let i = 1; i < requests.length; i++) expect(requests[i]!.receivedAt, `${tag}: request ${i} overlaps the previous one`).toBeGreaterThanOrEqual(requests[i - 1]!.closedAt ?? Infinity);
    }
    for (const list of samples.values()) for (let i = 1; i < list.length; i++) expect(list[i]!.token).toBeGreaterThan(list[i - 1]!.token);
    const owners = new Set([...samples.values()].flatMap((l) => l.map((x) => x.owner)));
    expect([...owners].sort()).toEqual(['instance-a', 'instance-b']);
    expect(model.violations).toEqual([]);
  }, 120_000);
});
