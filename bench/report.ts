/**
 * Turns measurements into the published result rows (ratio = ours ÷ baseline, target met or not),
 * prints them as a table and writes the JSON file: {"machine": {...}, "results": [...]}.
 */
import { cpus, freemem, platform, release, totalmem, arch, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import type { FigureSpec, Measurement, Target } from './suite.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: string | null;
  met: boolean | null;
  note?: string;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  mem: string;
  node: string;
  os: string;
  loadavg: number[];
}

export function describeMachine(): MachineInfo {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    mem: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free)`,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function describeTarget(target: Target, unit: string): string {
  return target.on === 'ratio' ? `${target.op}${target.limit}` : `${target.op}${target.limit} ${unit}`;
}

function meets(target: Target, actual: number): boolean {
  if (target.op === '>=') return actual >= target.limit;
  if (target.op === '<=') return actual <= target.limit;
  return actual < target.limit;
}

export function toResult(spec: FigureSpec, m: Measurement): BenchResult {
  const baseline = m.baseline ?? null;
  const ratio = baseline !== null && baseline !== 0 ? m.value / baseline : null;
  const checked = spec.target?.on === 'ratio' ? ratio : m.value;
  return {
    name: spec.name,
    value: m.value,
    unit: spec.unit,
    baseline,
    ratio,
    target: spec.target ? describeTarget(spec.target, spec.unit) : null,
    met: spec.target && checked !== null ? meets(spec.target, checked) : null,
    ...(m.note ? { note: m.note } : {}),
  };
}

function formatNumber(n: number | null): string {
  if (n === null) return '–';
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(abs >= 1 ? 2 : 3);
}

/** A GitHub-flavoured Markdown table, readable on a terminal and pasteable into the README. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    formatNumber(r.value),
    r.unit,
    formatNumber(r.baseline),
    r.ratio === null ? '–' : r.ratio.toFixed(2),
    r.target ?? '',
    r.met === null ? '' : r.met ? 'yes' : '**NO**',
  ]);
  const header = ['figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 || i === 2 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 || i === 2 || i === 5 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The --json file. */
export interface BenchReport {
  machine: MachineInfo;
  mode: string;
  /** ISO time the run started. */
  date: string;
  /** Suites that threw or broke their catalogue; empty on a good run. */
  failures: string[];
  results: BenchResult[];
}

export function writeJson(file: string, report: BenchReport): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
