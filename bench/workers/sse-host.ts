/**
 * Child process hosting one side of the SSE fan-out benchmark: the real server (in this process,
 * via startServer) or the bare baseline, on the given database. It appends at a steady rate and
 * stamps each commit with the shared monotonic clock; it runs in its own process so its memory
 * figures are the server's alone.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { Config } from '../../src/config/schema.ts';
import type { RunningServer } from '../../src/server.ts';
import { newId } from '../../src/lib/ids.ts';
import { toWireEvent } from '../../src/events/types.ts';
import { openStore } from '../../src/store/open-store.ts';
import { serveWorker } from '../child.ts';
import { MESSAGE_PAYLOAD, sessionRow } from '../databases.ts';
import { DEFAULT_TENANT, startBenchServer } from '../server.ts';
import { sharedClockMs, sleep } from '../stats.ts';
import { startBareSseServer, type BareSseServer } from '../baselines/bare-sse-server.ts';
import { openSqliteAppender, type SqliteAppender } from '../baselines/sqlite-appender.ts';

export type SseHostRequest =
  | { kind: 'start'; variant: 'ours' | 'bare'; database: Extract<Config['database'], { kind: 'sqlite' }>; dataDir: string; sessions: number }
  | { kind: 'memory' }
  /** Event k is due at startAtMs + k / ratePerSecond on the shared clock (stats.ts sharedClockMs). */
  | { kind: 'append'; ratePerSecond: number; count: number; startAtMs: number }
  | { kind: 'stop' };

export interface MemorySnapshot {
  rss: number;
  heap: number;
}

/** start: stream paths, one per session; append: [session, seq, committedAtMs] triples and the round's stats. */
export type SseHostResult = { baseURL: string; paths: string[] } | { memory: MemorySnapshot } | { commits: Float64Array; stats: RoundStats } | { stopped: true };

interface Host {
  baseURL: string;
  sessionIds: string[];
  /** Appends one event to the session; stamps its commit into `commits`. */
  append(sessionIndex: number): Promise<void>;
  close(): Promise<void>;
}

const commits: number[] = [];
let host: Host | undefined;
/** The next session to append to: round-robin across rounds, so each round continues where the last stopped. */
let next = 0;

async function startOurs(request: Extract<SseHostRequest, { kind: 'start' }>): Promise<Host> {
  // Every stream of the bench is one client's (the default tenant's): raise the per-credential and
  // per-tenant stream caps (256 / 1,024 by default) above the 1,000 streams of the full run.
  const caps = String(Math.max(4096, request.sessions * 4));
  const server: RunningServer = await startBenchServer({ database: request.database, dataDir: request.dataDir }, {
    SSE_MAX_STREAMS_PER_KEY: caps, SSE_MAX_STREAMS_PER_TENANT: caps, SSE_MAX_STREAMS: caps,
  });
  const sessionIds: string[] = [];
  for (let i = 0; i < request.sessions; i++) {
    const id = (await server.services.sessions.create(DEFAULT_TENANT, {})).id;
    // Subscribed before any stream, so this listener runs first when the hub publishes right after commit.
    server.services.log.hub.subscribe(id, (m) => {
      const at = sharedClockMs();
      if (m.kind === 'events') for (const e of m.events) commits.push(i, e.seq, at);
    });
    sessionIds.push(id);
  }
  return {
    baseURL: server.url,
    sessionIds,
    async append(i) {
      await server.services.log.append(DEFAULT_TENANT, sessionIds[i]!, [{ type: 'agent.message', payload: MESSAGE_PAYLOAD, processedAt: Date.now() }]);
    },
    close: () => server.close(),
  };
}

async function startBare(request: Extract<SseHostRequest, { kind: 'start' }>): Promise<Host> {
  const store = await openStore(request.database);
  const sessionIds: string[] = [];
  for (let i = 0; i < request.sessions; i++) {
    const id = newId('sesn');
    await store.sessions.insert(sessionRow(id, DEFAULT_TENANT));
    sessionIds.push(id);
  }
  await store.close();
  const appender: SqliteAppender = openSqliteAppender(request.database.path, request.database.synchronous);
  const bare: BareSseServer = await startBareSseServer();
  const payloadJson = JSON.stringify(MESSAGE_PAYLOAD);
  return {
    baseURL: bare.url,
    sessionIds,
    async append(i) {
      const id = sessionIds[i]!;
      const row = appender.append({ tenantId: DEFAULT_TENANT, sessionId: id, type: 'agent.message', payloadJson });
      if (!row) throw new Error(`session ${id} vanished`);
      commits.push(i, row.seq, sharedClockMs());
      const wire = toWireEvent({ sessionId: id, seq: row.seq, id: row.id, type: 'agent.message', payload: MESSAGE_PAYLOAD, processedAt: row.createdAt, createdAt: row.createdAt });
      bare.publish(id, `event: agent.message\nid: ${row.seq}\ndata: ${JSON.stringify(wire)}\n\n`);
    },
    async close() {
      await bare.close();
      appender.close();
    },
  };
}

/** Memory after full collections, with a pause so freed pages can go back to the system. */
async function memory(): Promise<MemorySnapshot> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await sleep(200);
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

/** What the host process itself did during one round of appends (the tail's usual suspects). */
export interface RoundStats {
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** Event-loop delay (monitorEventLoopDelay, 1 ms resolution) during the round. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Process CPU time (user + system, all threads) per appended event. */
  cpuUsPerEvent: number;
}

/** Watches GC pauses, event-loop delay and CPU time until the returned function is called. */
function watchRuntime(): () => Promise<Omit<RoundStats, 'cpuUsPerEvent'> & { cpuUs: number }> {
  const gcs: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  return async () => {
    const used = process.cpuUsage(cpu);
    delay.disable();
    // GC entries are delivered asynchronously: let the last ones of the round arrive.
    await new Promise<void>((resolve) => setImmediate(resolve));
    observer.disconnect();
    return {
      gcCount: gcs.length,
      gcTotalMs: gcs.reduce((a, b) => a + b, 0),
      gcMaxMs: Math.max(0, ...gcs),
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      cpuUs: used.user + used.system,
    };
  };
}

/** Appends round-robin over the sessions on a fixed schedule of the shared clock (late ones go at once). */
async function appendSteadily(h: Host, request: Extract<SseHostRequest, { kind: 'append' }>): Promise<{ commits: Float64Array; stats: RoundStats }> {
  const { ratePerSecond, count, startAtMs } = request;
  commits.length = 0;
  const interval = 1000 / ratePerSecond;
  const stop = watchRuntime();
  for (let k = 0; k < count; k++) {
    const wait = startAtMs + k * interval - sharedClockMs();
    if (wait > 0) await sleep(wait);
    await h.append(next++ % h.sessionIds.length);
  }
  const { cpuUs, ...rest } = await stop();
  return { commits: Float64Array.from(commits), stats: { ...rest, cpuUsPerEvent: cpuUs / count } };
}

async function handle(request: SseHostRequest): Promise<SseHostResult> {
  switch (request.kind) {
    case 'start':
      host = request.variant === 'ours' ? await startOurs(request) : await startBare(request);
      return { baseURL: host.baseURL, paths: host.sessionIds.map((id) => `/v1/sessions/${id}/events/stream`) };
    case 'memory':
      return { memory: await memory() };
    case 'append':
      if (!host) throw new Error('append before start');
      return appendSteadily(host, request);
    case 'stop':
      await host?.close();
      host = undefined;
      return { stopped: true };
    default: {
      const never: never = request;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

serveWorker(handle);
