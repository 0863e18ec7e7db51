/**
 * Scale: 10,000 sessions / 1,000,000 events (one session holds 50,095 of them), bulk-seeded with the
 * raw driver, served by the real server in its own process as it ships (`node dist/main.js`, the
 * compiled server, built first when out of date as `npm start` does), read
 * over loopback HTTP with an API key, as a client would:
 * - list pages: `GET /v1/sessions`, `GET /v1/agents` (as many agents as sessions) and
 *   `GET /v1/sessions/{id}/events` on the large session; the 50th
 *   page (reached by following next_page, then requested again alone) against the first page, each
 *   the median of repeated requests, the two interleaved. Keyset pagination should make them cost the same (O(limit));
 * - replay: the large session from seq 0, paging `GET …/events?limit=1000` and over SSE with
 *   `Last-Event-ID: 0`, against the raw driver reading the same rows in the same pages;
 * - memory: the server's RSS (VmRSS from /proc) once idle after boot (full GCs until V8 has given
 *   back the young generation boot grew, see settledMemory), on this database and on an empty one,
 *   and again after the reads above; and the floor under it, a plain-node process that
 *   only imports the packages the server loads at boot, against plain node importing nothing. The GC
 *   is run by a bench-only preload on SIGUSR2 (bench/preload/gc-on-signal.mjs); the server has no such hook. Memory per open stream is the sse
 *   suite's figure (sse.*.memory_per_stream), not repeated here.
 * Boot time at this size is the boot suite's figure, recovery at 1,000 sessions the recovery suite's.
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { buildServer } from '../../scripts/server-build.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { TestDatabase } from '../../test/support/backends.ts';
import { startChildServer, type ChildServer } from '../../test/support/child-process.ts';
import { createBenchDatabase, openRawDriver, type RawDriver } from '../databases.ts';
import { HttpClient } from '../http-client.ts';
import { seedSessions, type SeedSize } from '../seed.ts';
import { DEFAULT_TENANT } from '../server.ts';
import { percentile, sleep } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, FigureSpec, Measurement } from '../suite.ts';

interface Size {
  /** Sessions in all, the large one included. */
  sessions: number;
  /** Events in all, the large session's included. */
  events: number;
  eventsPerSession: number;
  /** `limit` of the timed list pages (the 50th page starts after 49 × limit rows). */
  limit: number;
  /** Timed requests per page (median). */
  repeats: number;
  /** Both backends at once: the tiny mode (inside `npm test`) checks that the suite works, not its figures. */
  concurrent?: boolean;
}

const SIZES: Record<BenchMode, Size> = {
  full: { sessions: 10_000, events: 1_000_000, eventsPerSession: 95, limit: 100, repeats: 30 },
  quick: { sessions: 1_000, events: 40_000, eventsPerSession: 30, limit: 20, repeats: 10 },
  tiny: { sessions: 120, events: 600, eventsPerSession: 4, limit: 2, repeats: 3, concurrent: true },
};
const BACKENDS = ['sqlite', 'postgres'] as const;
type Backend = (typeof BACKENDS)[number];
const PAGE = 50;
/** The page size of a replay: the largest `limit` the events list takes (and the SDK's tool runner uses). */
const REPLAY_LIMIT = 1000;
const LARGE_SESSION = 'sesn_bench_large';
const GC_PRELOAD = fileURLToPath(new URL('../preload/gc-on-signal.mjs', import.meta.url));
const RSS_FLOOR = fileURLToPath(new URL('../baselines/rss-floor.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** GC probes of a memory figure are this far apart, until the process has settled (settledMemory). */
const PROBE_GAP_MS = 1000;
const PROBE_TIMEOUT_MS = 10_000;
/** Settled: over the last STEADY_PROBES probes V8's young generation was at most YOUNG_SETTLED_MB (MB; it starts at 1) and RSS moved less than RSS_STEADY_MB. */
const STEADY_PROBES = 3;
const YOUNG_SETTLED_MB = 2;
const RSS_STEADY_MB = 1;
/** Bound on settling; a process that has not settled by then is reported as it is, with a note. */
const SETTLE_TIMEOUT_MS = 90_000;

function figures(): FigureSpec[] {
  const floor: FigureSpec = { name: 'scale.rss_floor', unit: 'MB', description: "RSS after GC of a plain-node process that only imports the server's boot-time packages vs one that imports nothing" };
  return [floor, ...BACKENDS.flatMap((b): FigureSpec[] => [
    { name: `scale.${b}.sessions.page${PAGE}`, unit: 'ms', description: `GET /v1/sessions, the ${PAGE}th page (cursor) vs the first (${b})`, target: { on: 'ratio', op: '<=', limit: 1.5 } },
    { name: `scale.${b}.agents.page${PAGE}`, unit: 'ms', description: `GET /v1/agents, the ${PAGE}th page (cursor) vs the first (${b})`, target: { on: 'ratio', op: '<=', limit: 1.5 } },
    { name: `scale.${b}.events.page${PAGE}`, unit: 'ms', description: `GET /v1/sessions/{id}/events of the large session, the ${PAGE}th page vs the first (${b})`, target: { on: 'ratio', op: '<=', limit: 1.5 } },
    { name: `scale.${b}.replay.list`, unit: 'ms', description: `the large session from seq 0 through GET …/events?limit=${REPLAY_LIMIT} vs the raw driver reading the same pages (${b})` },
    { name: `scale.${b}.replay.sse`, unit: 'ms', description: `the large session from seq 0 over SSE (Last-Event-ID: 0) vs the raw driver reading the same pages (${b})` },
    { name: `scale.${b}.idle_rss`, unit: 'MB', description: `server RSS after boot + GC on the seeded database vs on an empty one (${b})`, target: { on: 'value', op: '<=', limit: 120 } },
    { name: `scale.${b}.rss_after_reads`, unit: 'MB', description: `server RSS after the reads above + GC vs its idle RSS (${b})` },
  ])];
}

/** bench/baselines/rss-floor.mjs in its own process, importing the boot packages or (`bare`) nothing; resolves once it is ready. */
async function startFloor(bare: boolean): Promise<{ child: ChildServer['child']; output(): string }> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', GC_PRELOAD, RSS_FLOOR, ...(bare ? ['--bare'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`rss-floor exited (${code}): ${output}`)));
    child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
  });
  return { child, output: () => output };
}

async function measureFloor(): Promise<Measurement> {
  const [packages, bare] = await Promise.all([startFloor(false), startFloor(true)]);
  try {
    const [loaded, empty] = await Promise.all([settledMemory(packages), settledMemory(bare)]);
    return { name: 'scale.rss_floor', value: loaded.rssMb, baseline: empty.rssMb, note: `${memoryNote(loaded)} (importing nothing: ${memoryNote(empty)})` };
  } finally {
    for (const p of [packages, bare]) p.child.kill('SIGKILL');
  }
}

/** A migrated database holding an API key of tenant `default` (returned), seeded when `size` is given. */
async function prepare(db: TestDatabase, backend: Backend, size: SeedSize | undefined): Promise<string> {
  const store = await openStore(db.database);
  let key: string;
  try {
    await store.tenants.ensure(DEFAULT_TENANT, DEFAULT_TENANT, Date.now());
    ({ key } = await createApiKey(store, { tenantId: DEFAULT_TENANT, name: 'bench' }));
  } finally {
    await store.close();
  }
  if (size) {
    const raw = openRawDriver(db);
    try {
      await seedSessions(raw, backend, size);
    } finally {
      await raw.close();
    }
  }
  return key;
}

function startServer(db: TestDatabase): Promise<ChildServer> {
  return startChildServer(db, { built: true, env: { AUTH_DISABLED: '0', LOG_LEVEL: 'error' }, nodeArgs: ['--expose-gc', '--import', GC_PRELOAD], readyTimeoutMs: 120_000 });
}

/** VmRSS of the process (bytes), as the kernel counts it; the preload's own figure where /proc is missing. */
function residentBytes(pid: number, reported: number): number {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return reported;
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(file, 'utf8'))?.[1];
  return kb === undefined ? reported : Number(kb) * 1024;
}

interface Memory {
  rssMb: number;
  heapMb: number;
  /** RSS at the first probe (right after boot or the reads, before V8 has given back the young generation they grew). */
  firstRssMb: number;
  /** Whether the process settled within SETTLE_TIMEOUT_MS. */
  settled: boolean;
}

/** Full GC in the process (SIGUSR2 → the preload), then its RSS, JS heap and young generation in MB. */
async function probe(server: Pick<ChildServer, 'child' | 'output'>): Promise<{ rssMb: number; heapMb: number; youngMb: number }> {
  const probed = () => [...server.output().matchAll(/^oma-bench-gc (\d+) (\d+) (\d+) (\d+)$/gm)];
  const before = probed().length;
  server.child.kill('SIGUSR2');
  const deadline = Date.now() + PROBE_TIMEOUT_MS;
  while (probed().length === before) {
    if (Date.now() > deadline) throw new Error(`the process did not answer the GC probe:\n${server.output().slice(-2000)}`);
    await sleep(10);
  }
  const [, , heap, rss, young] = probed().at(-1)!;
  return { rssMb: residentBytes(server.child.pid!, Number(rss)) / 2 ** 20, heapMb: Number(heap) / 2 ** 20, youngMb: Number(young) / 2 ** 20 };
}

/**
 * The memory of the process once idle: GC probes PROBE_GAP_MS apart until V8 has shrunk its young
 * generation back (boot's allocation grows it to 16–32 MB resident; V8 gives that back at a full GC
 * once allocation has been low for some seconds, as it does in any idle server) and RSS has stopped
 * falling (freed pages are returned in the background). The first probe's RSS is kept as well.
 */
async function settledMemory(server: Pick<ChildServer, 'child' | 'output'>): Promise<Memory> {
  const first = await probe(server);
  const window = [first];
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    await sleep(PROBE_GAP_MS);
    window.push(await probe(server));
    if (window.length > STEADY_PROBES) window.shift();
    const rss = window.map((m) => m.rssMb);
    const settled = window.length === STEADY_PROBES && window.every((m) => m.youngMb <= YOUNG_SETTLED_MB) && Math.max(...rss) - Math.min(...rss) < RSS_STEADY_MB;
    if (settled || Date.now() > deadline) {
      const last = window.at(-1)!;
      return { rssMb: last.rssMb, heapMb: last.heapMb, firstRssMb: first.rssMb, settled };
    }
  }
}

/** The note of a memory figure: its heap, the RSS at the first probe, and whether it settled. */
function memoryNote(m: Memory): string {
  return `JS heap ${m.heapMb.toFixed(0)} MB, ${m.firstRssMb.toFixed(0)} MB at the first GC probe${m.settled ? '' : `, NOT settled within ${SETTLE_TIMEOUT_MS / 1000} s`}`;
}

async function timedMedian(repeats: number, run: () => Promise<unknown>): Promise<number> {
  await run(); // warm: statement caches, the page's rows in the database's cache
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

interface ListPage {
  data: { id: string }[];
  next_page: string | null;
}

/** Median ms of the first page and of the `PAGE`th (its cursor found by walking next_page). */
async function pageTimes(client: HttpClient, path: string, size: Size): Promise<{ first: number; nth: number }> {
  const url = (page?: string) => `${path}?limit=${size.limit}${page ? `&page=${encodeURIComponent(page)}` : ''}`;
  let page: string | undefined;
  for (let i = 1; i < PAGE; i++) {
    const body: ListPage = await client.get<ListPage>(url(page));
    if (!body.next_page) throw new Error(`${path}: no page ${i + 1} at limit ${size.limit}`);
    page = body.next_page;
  }
  const last = await client.get<ListPage>(url(page));
  if (last.data.length !== size.limit) throw new Error(`${path}: page ${PAGE} holds ${last.data.length} rows, not ${size.limit}`);
  // Interleaved (first, nth, first, nth…), so a background pass of the server (its sweeps, the
  // webhook poll) or of the machine lands on both sides alike instead of on one block of requests.
  await client.get(url());
  await client.get(url(page));
  const first: number[] = [];
  const nth: number[] = [];
  for (let i = 0; i < size.repeats; i++) {
    for (const [times, path] of [[first, url()], [nth, url(page)]] as const) {
      const started = performance.now();
      await client.get(path);
      times.push(performance.now() - started);
    }
  }
  return { first: percentile(first, 50), nth: percentile(nth, 50) };
}

/** The whole session through the events list; returns the number of events read. */
async function replayByList(client: HttpClient, sessionId: string): Promise<number> {
  let count = 0;
  let page: string | undefined;
  do {
    const body: ListPage = await client.get<ListPage>(`/v1/sessions/${sessionId}/events?limit=${REPLAY_LIMIT}${page ? `&page=${encodeURIComponent(page)}` : ''}`);
    count += body.data.length;
    page = body.next_page ?? undefined;
  } while (page);
  return count;
}

/** Opens the stream with Last-Event-ID: 0 and resolves once the frame of `lastSeq` has arrived. */
function replayBySse(baseURL: string, key: string, sessionId: string, lastSeq: number): Promise<void> {
  const marker = `\nid: ${lastSeq}\n`;
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseURL}/v1/sessions/${sessionId}/events/stream`, { headers: { 'x-api-key': key, 'last-event-id': '0', accept: 'text/event-stream' } });
    req.once('error', reject);
    req.once('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const text = tail + chunk;
        if (text.includes(marker)) {
          req.destroy();
          resolve();
        } else tail = text.slice(-marker.length);
      });
      res.once('end', () => reject(new Error(`stream ended before event ${lastSeq}`)));
    });
  });
}

/** The raw driver's replay: the same rows, in pages of the same size. */
async function replayRaw(raw: RawDriver, sessionId: string): Promise<number> {
  let count = 0;
  let after = 0;
  for (;;) {
    const rows = await raw.query<{ seq: number | string }>('SELECT * FROM session_events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [sessionId, after, REPLAY_LIMIT]);
    count += rows.length;
    if (rows.length < REPLAY_LIMIT) return count;
    after = Number(rows.at(-1)!.seq);
  }
}

async function measureBackend(context: BenchContext, backend: Backend): Promise<Measurement[]> {
  const size = SIZES[context.mode];
  const largeEvents = size.events - (size.sessions - 1) * size.eventsPerSession;
  const seed: SeedSize = { sessions: size.sessions - 1, eventsPerSession: size.eventsPerSession, large: { id: LARGE_SESSION, events: largeEvents }, agents: size.sessions };
  const name = (figure: string) => `scale.${backend}.${figure}`;
  const empty = await createBenchDatabase(backend);
  const full = await createBenchDatabase(backend);
  let server: ChildServer | undefined;
  let client: HttpClient | undefined;
  let raw: RawDriver | undefined;
  try {
    await prepare(empty, backend, undefined);
    const seeding = performance.now();
    const key = await prepare(full, backend, seed);
    context.log(`${name('')} seeded ${size.sessions} sessions / ${size.events} events (${largeEvents} in one) in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

    // Both servers boot at once (their RSS does not depend on sharing the CPU); the empty one then goes.
    const [emptyServer, fullServer] = await Promise.allSettled([startServer(empty), startServer(full)]);
    if (fullServer.status === 'fulfilled') server = fullServer.value;
    if (emptyServer.status === 'rejected') throw emptyServer.reason;
    if (fullServer.status === 'rejected') {
      await emptyServer.value.kill();
      throw fullServer.reason;
    }
    const [emptyMemory, idle] = await Promise.all([settledMemory(emptyServer.value), settledMemory(fullServer.value)]).finally(() => emptyServer.value.kill());
    server = fullServer.value;
    context.log(`${name('idle_rss')} ${idle.rssMb.toFixed(0)} MB (${memoryNote(idle)}) vs ${emptyMemory.rssMb.toFixed(0)} MB empty (${memoryNote(emptyMemory)})`);

    client = new HttpClient(server.baseURL, { headers: { 'x-api-key': key } });
    const sessions = await pageTimes(client, '/v1/sessions', size);
    const agents = await pageTimes(client, '/v1/agents', size);
    const events = await pageTimes(client, `/v1/sessions/${LARGE_SESSION}/events`, size);
    context.log(`${name('')} page ${PAGE} vs 1: sessions ${sessions.nth.toFixed(2)} vs ${sessions.first.toFixed(2)} ms, agents ${agents.nth.toFixed(2)} vs ${agents.first.toFixed(2)} ms, events ${events.nth.toFixed(2)} vs ${events.first.toFixed(2)} ms`);

    raw = openRawDriver(full);
    let listed = 0;
    const replayList = await timedMedian(1, async () => (listed = await replayByList(client!, LARGE_SESSION)));
    if (listed !== largeEvents) throw new Error(`the list replay read ${listed} events of ${largeEvents}`);
    const replaySse = await timedMedian(1, () => replayBySse(server!.baseURL, key, LARGE_SESSION, largeEvents));
    let rawCount = 0;
    const replayRawMs = await timedMedian(1, async () => (rawCount = await replayRaw(raw!, LARGE_SESSION)));
    if (rawCount !== largeEvents) throw new Error(`the raw replay read ${rawCount} events of ${largeEvents}`);
    context.log(`${name('replay')} ${largeEvents} events: list ${replayList.toFixed(0)} ms, SSE ${replaySse.toFixed(0)} ms, raw ${replayRawMs.toFixed(0)} ms`);

    const after = await settledMemory(server);
    const note = `${size.sessions} sessions, ${size.events} events, ${largeEvents} in the large one`;
    return [
      { name: name(`sessions.page${PAGE}`), value: sessions.nth, baseline: sessions.first, note: `limit ${size.limit}, median of ${size.repeats}; ${note}` },
      { name: name(`agents.page${PAGE}`), value: agents.nth, baseline: agents.first, note: `limit ${size.limit}, median of ${size.repeats}; ${size.sessions} agents, two per millisecond` },
      { name: name(`events.page${PAGE}`), value: events.nth, baseline: events.first, note: `limit ${size.limit}, median of ${size.repeats}` },
      { name: name('replay.list'), value: replayList, baseline: replayRawMs, note: `${largeEvents} events, pages of ${REPLAY_LIMIT}` },
      { name: name('replay.sse'), value: replaySse, baseline: replayRawMs, note: `${largeEvents} events` },
      { name: name('idle_rss'), value: idle.rssMb, baseline: emptyMemory.rssMb, note: `${memoryNote(idle)} (empty: ${memoryNote(emptyMemory)})` },
      { name: name('rss_after_reads'), value: after.rssMb, baseline: idle.rssMb, note: memoryNote(after) },
    ];
  } finally {
    client?.close();
    await raw?.close();
    await server?.kill();
    await empty.drop();
    await full.drop();
  }
}

export const scaleSuite: BenchSuite = {
  name: 'scale',
  figures: figures(),
  async run(context) {
    const size = SIZES[context.mode];
    if (buildServer()) context.log('scale: built dist/ (the server as it ships)');
    if (size.concurrent) {
      const [floor, ...perBackend] = await Promise.all([measureFloor(), ...BACKENDS.map((b) => measureBackend(context, b))]);
      return [floor as Measurement, ...(perBackend as Measurement[][]).flat()];
    }
    const floor = await measureFloor();
    context.log(`scale.rss_floor: ${floor.value.toFixed(0)} MB importing the boot packages, ${floor.baseline!.toFixed(0)} MB importing nothing`);
    const out: Measurement[] = [floor];
    for (const backend of BACKENDS) out.push(...(await measureBackend(context, backend)));
    return out;
  },
};
