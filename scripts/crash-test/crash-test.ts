/**
 * The crash-test harness (issue 6): runs the real server as a child process on a fresh database,
 * drives sessions with the scripted fake model and real tools, SIGKILLs the server at chosen
 * moments, restarts it, and checks every recovery invariant from the API, the streams, the
 * database and the sandbox files. `runCrashTest` is what `npm run crash-test` and the test suite
 * call; it returns a report whose `violations` must be empty.
 */
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, type Backend } from '../../test/support/backends.ts';
import { startFakeModel } from '../../test/support/fake-model/index.ts';
import { postJson } from './api.ts';
import { DbProbe } from './db-probe.ts';
import { recordEventLogs } from '../../test/support/event-log-corpus.ts';
import { runIteration, type IterationResult, type RunContext } from './iteration.ts';
import { ScriptedAgent } from './scripted-agent.ts';
import { ServerControl } from './server-control.ts';
import { WORKLOADS, type WorkloadName } from './plan.ts';

export interface CrashTestOptions {
  backend: Backend;
  /** Iterations to run (each: fresh sessions, 1–3 kills, checks). */
  iterations: number;
  seed: number;
  /** Keep going past `iterations` until at least this many kills were made. */
  minKills?: number;
  /** Kills per iteration, [min, max] (default [1, 3]); more kills per iteration spend less time on checks. */
  killsPerIteration?: [number, number];
  /** Sessions per iteration, [min, max] (default [2, 4]). */
  sessionsPerIteration?: [number, number];
  /** Work per session (default `full`). */
  workload?: WorkloadName;
  /** Start numbering at this iteration (its workload depends only on seed and number). */
  firstIteration?: number;
  /** Progress lines (one per iteration). */
  log?: (line: string) => void;
  /** Keep the database and data directory (printed) instead of dropping them. */
  keepData?: boolean;
  /** Stops the run after the current iteration (the report covers what ran). */
  signal?: AbortSignal;
  /** Write every session's log to this directory at the end (corpus candidates, test/support/event-log-corpus.ts). */
  recordEventLogs?: string;
  /** Phase timings per iteration. */
  trace?: (line: string) => void;
  /** Extra server environment (e.g. LOG_LEVEL). */
  serverEnv?: Record<string, string>;
}

export interface CrashTestReport {
  backend: Backend;
  seed: number;
  iterations: number;
  kills: number;
  killsByTrigger: Record<string, number>;
  recoveredTurns: number;
  recoveryEvents: number;
  sessions: number;
  messages: number;
  interrupts: number;
  confirmations: number;
  denials: number;
  toolCalls: number;
  modelRequests: number;
  reconciledSends: number;
  streamConnections: number;
  violations: string[];
  durationMs: number;
  /** Where the data was kept (keepData). */
  kept?: string;
}

export async function runCrashTest(options: CrashTestOptions): Promise<CrashTestReport> {
  const started = Date.now();
  const report: CrashTestReport = {
    backend: options.backend, seed: options.seed, iterations: 0, kills: 0, killsByTrigger: {}, recoveredTurns: 0, recoveryEvents: 0,
    sessions: 0, messages: 0, interrupts: 0, confirmations: 0, denials: 0, toolCalls: 0, modelRequests: 0, reconciledSends: 0, streamConnections: 0, violations: [], durationMs: 0,
  };
  const fake = await startFakeModel();
  const model = new ScriptedAgent();
  fake.respondWith(model.respond);
  const db = await createTestDatabase(options.backend);
  const control = new ServerControl(db, { ANTHROPIC_BASE_URL: fake.url, MODEL_RETRY_BASE_MS: '20', LOG_LEVEL: 'error', ...options.serverEnv });
  let store: Store | undefined;
  try {
    await control.start();
    store = await openStore(db.database);
    const run: RunContext = { seed: options.seed, control, fake, probe: new DbProbe(store), dataDir: db.dataDir, agents: await createAgents(control.baseURL), trace: options.trace,
      killsPerIteration: options.killsPerIteration ?? [1, 3], sessionsPerIteration: options.sessionsPerIteration ?? [2, 4],
      workload: WORKLOADS[options.workload ?? 'full'],
    };
    const first = options.firstIteration ?? 0;
    for (let i = first; (i < first + options.iterations || report.kills < (options.minKills ?? 0)) && !options.signal?.aborted; i++) {
      const t0 = Date.now();
      const result = await runIteration(run, i).catch((err: unknown): IterationResult => failedIteration(err, control.output()));
      add(report, result);
      fake.forgetRequests();
      options.log?.(
        `iteration ${i}: ${result.sessions} sessions, kills [${result.kills.join(', ')}], ${result.recoveredTurns} recovered turns, ` +
          `${result.violations.length} violations (${((Date.now() - t0) / 1000).toFixed(1)} s)${result.violations.map((v) => `\n  ✗ ${v}`).join('')}`,
      );
    }
    report.violations.push(...(await globalChecks(run.probe)));
    if (options.recordEventLogs) await recordEventLogs(store, options.recordEventLogs, `crash-${options.backend}-${options.seed}`);
    report.violations.push(...model.violations);
    report.modelRequests = model.requests;
    const exit = await control.stop();
    if (exit && exit.code !== 0) report.violations.push(`SIGTERM at the end: the server exited with ${exit.code ?? exit.signal}`);
  } finally {
    await control.kill();
    await store?.close();
    await fake.close();
    if (options.keepData) report.kept = `${db.dataDir} ${db.database.kind === 'postgres' ? db.database.url : ''}`.trim();
    else await db.drop();
    report.durationMs = Date.now() - started;
  }
  return report;
}

async function createAgents(baseURL: string): Promise<{ allow: string; ask: string }> {
  const create = async (name: string, configs: unknown[]) =>
    (await postJson<{ id: string }>(baseURL, '/v1/agents', { name, model: 'claude-sonnet-4-6', tools: [{ type: 'agent_toolset_20260401', configs }] })).id;
  return {
    allow: await create('crash-test', []),
    ask: await create('crash-test-ask', [{ name: 'bash', permission_policy: { type: 'always_ask' } }]),
  };
}

async function globalChecks(probe: DbProbe): Promise<string[]> {
  const out: string[] = [];
  const duplicates = await probe.duplicateEventIds();
  if (duplicates.length > 0) out.push(`event ids stored twice: ${duplicates.slice(0, 10).join(', ')}`);
  const gaps = await probe.sessionsWithGaps();
  if (gaps.length > 0) out.push(`sessions whose seqs are not 1..last_seq: ${gaps.slice(0, 10).join(', ')}`);
  return out;
}

function failedIteration(err: unknown, output: string): IterationResult {
  return {
    sessions: 0, kills: [], recoveredTurns: 0, recoveryEvents: 0, messages: 0, interrupts: 0, confirmations: 0, denials: 0, toolCalls: 0, reconciledSends: 0, streamConnections: 0,
    violations: [`iteration aborted: ${(err as Error).stack ?? String(err)}\nserver output (tail):\n${output.slice(-3000)}`],
  };
}

function add(report: CrashTestReport, r: IterationResult): void {
  report.iterations++;
  report.kills += r.kills.length;
  for (const k of r.kills) report.killsByTrigger[k] = (report.killsByTrigger[k] ?? 0) + 1;
  report.recoveredTurns += r.recoveredTurns;
  report.recoveryEvents += r.recoveryEvents;
  report.sessions += r.sessions;
  report.messages += r.messages;
  report.interrupts += r.interrupts;
  report.confirmations += r.confirmations;
  report.denials += r.denials;
  report.toolCalls += r.toolCalls;
  report.reconciledSends += r.reconciledSends;
  report.streamConnections += r.streamConnections;
  report.violations.push(...r.violations);
}
