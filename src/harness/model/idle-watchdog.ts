/**
 * Aborts a model stream that goes quiet: every chunk calls `touch()`, and `limit` ms without one
 * aborts `cancel`. `firedAfterMs()` tells the error mapping that the abort was ours, not the caller's.
 * Shared by the provider clients.
 */
export interface IdleWatchdog {
  touch(): void;
  stop(): void;
  firedAfterMs(): number | undefined;
}

export function startIdleWatchdog(cancel: AbortController, limit: number | undefined): IdleWatchdog {
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => clearTimeout(timer);
  const touch = (): void => {
    if (limit === undefined) return;
    stop();
    timer = setTimeout(() => {
      fired = true;
      cancel.abort();
    }, limit);
  };
  return { touch, stop, firedAfterMs: () => (fired ? limit : undefined) };
}
