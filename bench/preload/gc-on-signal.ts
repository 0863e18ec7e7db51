/**
 * Loaded into a server process the bench starts (`node --expose-gc --import tsx --import
 * bench/preload/gc-on-signal.ts src/main.ts`), never by the server itself: on SIGUSR2 it runs a full
 * GC and writes one line `oma-bench-gc <n> <heapUsed> <rss>` to stderr, so the bench can read the
 * process's RSS (from /proc) at a moment when no garbage is left and know that moment has come.
 */
let count = 0;
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('gc-on-signal needs --expose-gc');
  gc();
  const memory = process.memoryUsage();
  process.stderr.write(`oma-bench-gc ${++count} ${memory.heapUsed} ${memory.rss}\n`);
});
