/** Retry delay for the n-th consecutive model failure: exponential with jitter, or what the model asked for. */
export function retryDelayMs(attempt: number, baseMs: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, 60_000);
  const exp = baseMs * 2 ** Math.min(attempt, 6);
  return Math.min(exp, 60_000) * (0.8 + Math.random() * 0.4);
}

/** Resolves after ms, or early (without error) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
