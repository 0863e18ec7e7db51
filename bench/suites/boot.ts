/**
 * Boot: time from startServer to a 200 from /health, with 10,000 sessions and 1,000,000 events
 * stored, against the same boot on an empty (migrated) database. Each database is booted once
 * first (as after an upgrade), then timed on restarts; module loading is not included.
 */
import { performance } from 'node:perf_hooks';
import { openStore } from '../../src/store/open-store.ts';
import type { TestDatabase } from '../../test/support/backends.ts';
import { createBenchDatabase, openRawDriver } from '../databases.ts';
import { HttpClient } from '../http-client.ts';
import { seedSessions } from '../seed.ts';
import { startBenchServer } from '../server.ts';
import { percentile } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, Measurement } from '../suite.ts';

const SIZES: Record<BenchMode, { sessions: number; eventsPerSession: number; boots: number }> = {
  full: { sessions: 10_000, eventsPerSession: 100, boots: 3 },
  quick: { sessions: 1_000, eventsPerSession: 20, boots: 2 },
  tiny: { sessions: 50, eventsPerSession: 4, boots: 1 },
};
const BACKENDS = ['sqlite', 'postgres'] as const;

async function bootOnce(db: TestDatabase): Promise<number> {
  const started = performance.now();
  const server = await startBenchServer(db);
  const client = new HttpClient(server.url);
  try {
    const health = await client.get<{ status: string }>('/health');
    if (health.status !== 'ok') throw new Error(`/health says ${health.status}`);
    return performance.now() - started;
  } finally {
    client.close();
    await server.close();
  }
}

/** Median time to healthy over `boots` restarts, after one untimed first boot. */
async function timeBoots(db: TestDatabase, boots: number): Promise<number> {
  await bootOnce(db);
  const times: number[] = [];
  for (let i = 0; i < boots; i++) times.push(await bootOnce(db));
  return percentile(times, 50);
}

async function measureBackend(context: BenchContext, backend: (typeof BACKENDS)[number]): Promise<Measurement> {
  const size = SIZES[context.mode];
  const empty = await createBenchDatabase(backend);
  const full = await createBenchDatabase(backend);
  try {
    for (const db of [empty, full]) await (await openStore(db.database)).close();
    const raw = openRawDriver(full);
    const seeding = performance.now();
    try {
      await seedSessions(raw, backend, size);
    } finally {
      await raw.close();
    }
    const events = size.sessions * size.eventsPerSession;
    context.log(`boot.${backend}: seeded ${size.sessions} sessions / ${events} events in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    const emptyMs = await timeBoots(empty, size.boots);
    const fullMs = await timeBoots(full, size.boots);
    context.log(`boot.${backend}: ${fullMs.toFixed(0)} ms to healthy vs ${emptyMs.toFixed(0)} ms empty`);
    return { name: `boot.${backend}`, value: fullMs, baseline: emptyMs, note: `${size.sessions} sessions, ${events} events; median of ${size.boots} restarts` };
  } finally {
    await empty.drop();
    await full.drop();
  }
}

export const bootSuite: BenchSuite = {
  name: 'boot',
  figures: BACKENDS.map((b) => ({ name: `boot.${b}`, unit: 'ms' as const, description: `startServer → /health 200 with 10,000 sessions / 1,000,000 events vs an empty database (${b})` })),
  async run(context) {
    const out: Measurement[] = [];
    for (const backend of BACKENDS) out.push(await measureBackend(context, backend));
    return out;
  },
};
