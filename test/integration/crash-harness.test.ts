/**
 * The short crash test of the suite (issue 6): at least 30 SIGKILLs of the real server per backend,
 * at chosen moments (mid model stream, mid tool, after a commit, while waiting for a confirmation,
 * during recovery), with every recovery invariant checked after each iteration. The seed is random
 * per run (CRASH_TEST_SEED fixes it) and printed, so a failure can be replayed with
 * `npm run crash-test -- --backend <backend> --seed <seed> --iterations 10 --kills-per-iteration 3
 * --sessions-per-iteration 2-3 --workload light`.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.ts';
import { runCrashTest } from '../../scripts/crash-test/crash-test.ts';
import { formatReports } from '../../scripts/crash-test/report.ts';

const KILLS = 30;

describe('crash test: kill -9 at random moments loses nothing and duplicates nothing', () => {
  it.concurrent.each(BACKENDS)(`%s: ${KILLS} kills, zero invariant violations`, async (backend) => {
    const seed = Number(process.env.CRASH_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const report = await runCrashTest({ backend, seed, iterations: KILLS / 3, minKills: KILLS, killsPerIteration: [3, 3], sessionsPerIteration: [2, 3], workload: 'light', recordEventLogs: process.env.OMA_RECORD_EVENT_LOGS });
    const table = formatReports([report]);
    expect(report.violations, table).toEqual([]);
    expect(report.kills).toBeGreaterThanOrEqual(KILLS);
    expect(report.recoveredTurns, table).toBeGreaterThan(0);
  }, 15 * 60_000);
});
