/** Renders crash-test reports as the table `npm run crash-test` prints. */
import type { CrashTestReport } from './crash-test.ts';

const COLUMNS: [string, (r: CrashTestReport) => string][] = [
  ['backend', (r) => r.backend],
  ['iterations', (r) => String(r.iterations)],
  ['kills', (r) => String(r.kills)],
  ['recovered turns', (r) => String(r.recoveredTurns)],
  ['messages', (r) => String(r.messages)],
  ['tool calls', (r) => String(r.toolCalls)],
  ['model requests', (r) => String(r.modelRequests)],
  ['invariant violations', (r) => String(r.violations.length)],
  ['time', (r) => `${(r.durationMs / 1000).toFixed(0)} s`],
];

export function formatReports(reports: CrashTestReport[]): string {
  const rows = [COLUMNS.map(([h]) => h), ...reports.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  for (const r of reports) {
    const moments = Object.entries(r.killsByTrigger).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
    out.push('', `${r.backend}: seed ${r.seed}; kills by moment: ${moments || 'none'}`);
    out.push(`  ${r.sessions} sessions, ${r.interrupts} interrupts, ${r.confirmations} confirmations (${r.denials} denied), ${r.recoveryEvents} oma.turn_recovered events, ${r.reconciledSends} sends retried after a crash, ${r.streamConnections} SSE connections`);
    if (r.kept) out.push(`  data kept: ${r.kept}`);
    for (const v of r.violations.slice(0, 50)) out.push(`  ✗ ${v}`);
    if (r.violations.length > 50) out.push(`  … and ${r.violations.length - 50} more`);
  }
  return out.join('\n');
}
