/**
 * End-to-end append over HTTP: `POST /v1/sessions/{id}/_test_emit` on the real server (Hono,
 * validation, session lookup, EventLog, hub) against a bare node:http server doing the same
 * append in the same SQLite database (baselines/). Load comes from a child process in closed loops
 * at several concurrency levels; the best throughput without errors is "the highest sustainable rate".
 */
import { createBenchDatabase, MESSAGE_PAYLOAD } from '../databases.ts';
import { startBareEmitServer } from '../baselines/bare-emit-server.ts';
import { openSqliteAppender } from '../baselines/sqlite-appender.ts';
import { startWorker } from '../child.ts';
import { HttpClient } from '../http-client.ts';
import { startBenchServer } from '../server.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { percentile } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, Measurement } from '../suite.ts';
import type { LoadRequest, LoadResult } from '../workers/http-load.ts';

const SIZES: Record<BenchMode, { levels: number[]; rounds: number; roundMs: number; warmupMs: number }> = {
  full: { levels: [1, 4, 16, 64], rounds: 2, roundMs: 1500, warmupMs: 500 },
  quick: { levels: [1, 16], rounds: 1, roundMs: 400, warmupMs: 100 },
  tiny: { levels: [1, 4], rounds: 1, roundMs: 100, warmupMs: 30 },
};
const SESSIONS = 16;
const NAME = 'http.emit.sqlite_normal';
const TENANT = 'tenant_bench';

interface LevelOutcome {
  concurrency: number;
  rate: number;
  latencies: number[];
}

function merge(concurrency: number, results: LoadResult[]): LevelOutcome {
  const failed = results.find((r) => r.errors > 0);
  if (failed) throw new Error(`${failed.errors} failed requests at concurrency ${concurrency}: ${failed.firstError}`);
  const count = results.reduce((n, r) => n + r.count, 0);
  const elapsed = results.reduce((n, r) => n + r.elapsedMs, 0);
  return { concurrency, rate: (count * 1000) / elapsed, latencies: results.flatMap((r) => r.latencies) };
}

async function measure(context: BenchContext): Promise<Measurement[]> {
  const size = SIZES[context.mode];
  const db = await createBenchDatabase('sqlite', 'NORMAL');
  if (db.database.kind !== 'sqlite') throw new Error('unreachable');
  // Authenticated with an API key, as a real client is (a key lookup per request).
  const server = await startBenchServer(db, { AUTH_DISABLED: '0' });
  const { key } = await createApiKey(server.services.store, { tenantId: TENANT, name: 'bench' });
  await server.services.store.tenants.ensure(TENANT, TENANT, Date.now());
  const headers = { 'x-api-key': key };
  const appender = openSqliteAppender(db.database.path, 'NORMAL');
  const bare = await startBareEmitServer(appender, TENANT);
  const load = startWorker<LoadRequest, LoadResult>('http-load');
  const client = new HttpClient(server.url, { headers });
  try {
    const paths: string[] = [];
    for (let i = 0; i < SESSIONS; i++) paths.push(`/v1/sessions/${(await client.post<{ id: string }>('/v1/sessions', {})).id}/_test_emit`);
    const body = JSON.stringify({ text: MESSAGE_PAYLOAD.content[0]!.text });
    const run = (baseURL: string, concurrency: number, durationMs: number) => load.call({ baseURL, paths, body, headers, concurrency, durationMs });
    const ours: LevelOutcome[] = [];
    const base: LevelOutcome[] = [];
    for (const c of size.levels) {
      await run(bare.url, c, size.warmupMs);
      await run(server.url, c, size.warmupMs);
      const rounds: { bare: LoadResult[]; ours: LoadResult[] } = { bare: [], ours: [] };
      for (let r = 0; r < size.rounds; r++) {
        rounds.bare.push(await run(bare.url, c, size.roundMs));
        rounds.ours.push(await run(server.url, c, size.roundMs));
      }
      ours.push(merge(c, rounds.ours));
      base.push(merge(c, rounds.bare));
      context.log(`${NAME} c=${c}: ${ours.at(-1)!.rate.toFixed(0)} vs bare ${base.at(-1)!.rate.toFixed(0)} req/s`);
    }
    const best = (levels: LevelOutcome[]) => levels.reduce((a, b) => (b.rate > a.rate ? b : a));
    const oursBest = best(ours);
    const bareBest = best(base);
    return [
      { name: NAME, value: oursBest.rate, baseline: bareBest.rate, note: `best of concurrency ${size.levels.join('/')}: ours at ${oursBest.concurrency}, bare at ${bareBest.concurrency}` },
      { name: `${NAME}.c1.p50`, value: percentile(ours[0]!.latencies, 50), baseline: percentile(base[0]!.latencies, 50) },
      { name: `${NAME}.c1.p99`, value: percentile(ours[0]!.latencies, 99), baseline: percentile(base[0]!.latencies, 99) },
    ];
  } finally {
    client.close();
    await load.close();
    await bare.close();
    appender.close();
    await server.close();
    await db.drop();
  }
}

export const httpAppendSuite: BenchSuite = {
  name: 'http',
  figures: [
    { name: NAME, unit: 'req/s', description: 'POST _test_emit with an API key at the best closed-loop concurrency vs a bare node:http server doing the same append (SQLite NORMAL)' },
    { name: `${NAME}.c1.p50`, unit: 'ms', description: 'request latency at concurrency 1 vs the bare server', target: { on: 'ratio', op: '<=', limit: 1.5 } },
    { name: `${NAME}.c1.p99`, unit: 'ms', description: 'p99 request latency at concurrency 1 vs the bare server' },
  ],
  run: measure,
};
