/**
 * Loaded into a process the bench measures (`node --expose-gc --import bench/preload/gc-on-signal.mjs
 * dist/main.js`, and the rss-floor baseline), never by the server itself: on SIGUSR2 it runs a full
 * GC and writes one line `oma-bench-gc <n> <heapUsed> <rss>` to stderr, so the bench can read the
 * process's RSS (from /proc) at a moment when no garbage is left and know that moment has come.
 * Plain JavaScript, so it loads in plain node as well as through tsx.
 */
let count = 0;
process.on('SIGUSR2', () => {
  const gc = globalThis.gc;
  if (!gc) throw new Error('gc-on-signal needs --expose-gc');
  gc();
  const memory = process.memoryUsage();
  process.stderr.write(`oma-bench-gc ${++count} ${memory.heapUsed} ${memory.rss}\n`);
});
