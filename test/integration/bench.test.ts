/**
 * Keeps `npm run bench` from rotting: runs it in its tiny mode as a child process and checks that
 * every figure of every suite came out with a finite value and that the JSON file is well formed.
 * It never asserts on timing: the figures of a tiny run on a busy CI machine mean nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SUITES } from '../../bench/suites/index.ts';
import type { BenchReport } from '../../bench/report.ts';
import { BACKENDS } from '../support/backends.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const finiteOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

// The bench always measures both databases, so it needs the local Postgres the full suite uses.
describe.skipIf(!BACKENDS.includes('postgres'))('npm run bench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oma-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('produces every figure with a finite value, a table, and a well-formed JSON file (tiny mode)', async () => {
    const file = join(dir, 'bench.json');
    const { code, stdout, stderr } = await runBench(['--tiny', '--json', file]);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    expect(report.mode).toBe('tiny');
    expect(report.failures).toEqual([]);
    expect(typeof report.machine.cpu).toBe('string');
    expect(report.machine.cores).toBeGreaterThan(0);
    for (const key of ['mem', 'node', 'os'] as const) expect(typeof report.machine[key]).toBe('string');
    const declared = SUITES.flatMap((s) => s.figures.map((f) => f.name));
    expect(report.results.map((r) => r.name)).toEqual(declared);
    for (const r of report.results) {
      expect(Number.isFinite(r.value), `${r.name} value ${r.value}`).toBe(true);
      expect(typeof r.unit).toBe('string');
      expect(finiteOrNull(r.baseline), `${r.name} baseline`).toBe(true);
      expect(finiteOrNull(r.ratio), `${r.name} ratio`).toBe(true);
      if (r.baseline !== null && r.baseline !== 0) expect(r.ratio).toBeCloseTo(r.value / r.baseline, 9);
      expect(r.target === null || typeof r.target === 'string').toBe(true);
      expect(r.met === null || typeof r.met === 'boolean').toBe(true);
      expect(r.met === null).toBe(r.target === null);
      expect(stdout).toContain(`| ${r.name} `);
    }
  }, 300_000);

  it('refuses an unknown argument with exit code 2 and the usage line', async () => {
    const { code, stderr } = await runBench(['--fast']);
    expect(code).toBe(2);
    expect(stderr).toContain('usage: npm run bench');
  });
});
