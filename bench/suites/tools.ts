/**
 * Tool execution overhead: `true` through each sandbox provider (exec: `bash -c`; shell: the
 * persistent shell the bash tool uses) against a raw child_process.spawn of `true` collecting
 * its output the same way. The variants run round-robin, one call at a time, so drift hits all alike.
 * Each call starts once the providers' launches started ahead (src/sandbox/shared/prestart.ts) are
 * ready, as they are when an agent's calls are apart by a model turn; `.cold` is the same call with
 * prestarting off (every call builds its sandbox), and the floors are what no provider can go
 * under: `bash -c true`, and a bare bwrap with the provider's namespace flags running `true`.
 */
import { spawn } from 'node:child_process';
import { BwrapSandboxProvider } from '../../src/sandbox/bwrap.ts';
import { SubprocessSandboxProvider } from '../../src/sandbox/subprocess.ts';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SANDBOX_PROVIDER_NAMES } from '../../src/sandbox/registry.ts';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/sandbox.ts';
import { percentile } from '../stats.ts';
import type { BenchContext, BenchMode, BenchSuite, FigureSpec, Measurement } from '../suite.ts';

const SIZES: Record<BenchMode, { calls: number; warmup: number }> = {
  full: { calls: 200, warmup: 10 },
  quick: { calls: 30, warmup: 3 },
  tiny: { calls: 3, warmup: 1 },
};
const METHODS = ['exec', 'shell'] as const;
/** The local providers (remote ones need an outside service, measured by their own tests, not here). */
const PROVIDERS = SANDBOX_PROVIDER_NAMES.filter((p) => p === 'subprocess' || p === 'bwrap');
const SESSION_ID = 'sesn_bench_tools';

/** The floors: `bash -c true`, and bwrap with the provider's namespace flags and base mounts (no /etc, limits, seccomp or uid). */
const FLOORS: Record<string, { description: string; file: string; args: string[] }> = {
  bash: { description: 'spawn of `bash -c true`', file: 'bash', args: ['-c', 'true'] },
  bwrap: {
    description: 'bare `bwrap --unshare-all --unshare-user --disable-userns` (+ /usr, /proc, /dev, /tmp, read-only root) running `true`',
    file: 'bwrap',
    args: [
      '--unshare-all', '--die-with-parent', '--new-session', '--as-pid-1', '--hostname', 'sandbox', '--unshare-user', '--disable-userns',
      '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
      '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--remount-ro', '/', '/usr/bin/true',
    ],
  },
};

function figures(): FigureSpec[] {
  return [
    ...Object.entries(FLOORS).flatMap(([name, floor]): FigureSpec[] => [
      { name: `tool.floor.${name}`, unit: 'ms', description: `median ${floor.description} vs raw spawn` },
      { name: `tool.floor.${name}.overhead`, unit: 'ms', description: `median ${floor.description} minus median raw spawn` },
    ]),
    ...PROVIDERS.flatMap((p) =>
      METHODS.flatMap((m): FigureSpec[] => [
        { name: `tool.${p}.${m}`, unit: 'ms', description: `median \`true\` through ${p} ${m} vs raw spawn` },
        {
          name: `tool.${p}.${m}.overhead`, unit: 'ms', description: `median ${p} ${m} minus median raw spawn`,
          target: { on: 'value', op: '<=', limit: p === 'bwrap' ? 6 : 1 },
        },
        { name: `tool.${p}.${m}.cold`, unit: 'ms', description: `median \`true\` through ${p} ${m}, nothing started ahead, vs raw spawn` },
        { name: `tool.${p}.${m}.cold.overhead`, unit: 'ms', description: `median cold ${p} ${m} minus median raw spawn` },
      ]),
    ),
  ];
}

function rawSpawn(file = 'true', args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function measure(context: BenchContext): Promise<Measurement[]> {
  const size = SIZES[context.mode];
  // Parents of the workdir root must be searchable by the sandbox uids (bwrap as root).
  const base = await mkdtemp(join(tmpdir(), 'oma-bench-tools-'));
  await chmod(base, 0o711);
  const providers: SandboxProvider[] = [];
  try {
    const variants: { name: string; run: () => Promise<unknown>; settled?: () => Promise<void> }[] = [{ name: 'raw', run: () => rawSpawn() }];
    for (const [name, floor] of Object.entries(FLOORS)) variants.push({ name: `floor.${name}`, run: () => rawSpawn(floor.file, floor.args) });
    for (const name of PROVIDERS) {
      for (const cold of [false, true]) {
        const workdirRoot = join(base, cold ? `${name}-cold` : name);
        const provider = name === 'bwrap' ? new BwrapSandboxProvider({ workdirRoot, prestart: !cold }) : new SubprocessSandboxProvider({ workdirRoot, prestart: !cold });
        providers.push(provider);
        await provider.check();
        const sandbox: Sandbox & { settled?: () => Promise<void> } = await provider.open(SESSION_ID);
        const check = async (method: (typeof METHODS)[number]) => {
          const result = await sandbox[method]('true');
          if (result.exitCode !== 0) throw new Error(`${name} ${method} true: exit ${result.exitCode} ${result.stderr}`);
        };
        for (const method of METHODS) variants.push({ name: `${name}.${method}${cold ? '.cold' : ''}`, run: () => check(method), settled: () => sandbox.settled?.() ?? Promise.resolve() });
      }
    }
    const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    for (let i = 0; i < size.warmup + size.calls; i++) {
      for (const v of variants) {
        // Every variant's background work is done before any call is timed (see the header).
        await Promise.all(variants.map((other) => other.settled?.()));
        const ms = await timed(v.run);
        if (i >= size.warmup) samples.get(v.name)!.push(ms);
      }
    }
    const raw = percentile(samples.get('raw')!, 50);
    const out: Measurement[] = [];
    for (const v of variants.slice(1)) {
      const p50 = percentile(samples.get(v.name)!, 50);
      out.push({ name: `tool.${v.name}`, value: p50, baseline: raw, note: `${size.calls} calls, p99 ${percentile(samples.get(v.name)!, 99).toFixed(1)} ms` });
      out.push({ name: `tool.${v.name}.overhead`, value: p50 - raw });
      context.log(`tool.${v.name}: ${p50.toFixed(2)} ms vs raw spawn ${raw.toFixed(2)} ms`);
    }
    return out;
  } finally {
    for (const p of providers) await p.shutdown();
    await rm(base, { recursive: true, force: true });
  }
}

export const toolsSuite: BenchSuite = { name: 'tools', figures: figures(), run: measure };
