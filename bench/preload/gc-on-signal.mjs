/**
 * Loaded into a process the bench measures (`node --expose-gc --import bench/preload/gc-on-signal.mjs
 * dist/main.js`, and the rss-floor baseline), never by the server itself: on SIGUSR2 it runs a full
 * GC and writes one line `oma-bench-gc <n> <heapUsed> <rss> <young>` to stderr (bytes; young: the
 * resident size of V8's new space), so the bench can read the process's RSS (from /proc) at a moment
 * when no garbage is left, know that moment has come, and see whether V8 has shrunk its young
 * generation back after boot. Plain JavaScript, so it loads in plain node as well as through tsx.
 */
import { getHeapSpaceStatistics } from 'node:v8';

let count = 0;
process.on('SIGUSR2', () => {
  const gc = globalThis.gc;
  if (!gc) throw new Error('gc-on-signal needs --expose-gc');
  gc();
  const memory = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0;
  process.stderr.write(`oma-bench-gc ${++count} ${memory.heapUsed} ${memory.rss} ${young}\n`);
});
