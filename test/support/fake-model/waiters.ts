/** Promises that settle when a condition over the fake's state becomes true (no polling). */
interface Waiter {
  check: () => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class Waiters {
  readonly #pending = new Set<Waiter>();

  /** Resolves once `check()` is true, re-evaluated on every `notify()`; rejects after `timeoutMs`. */
  until(check: () => boolean, timeoutMs: number, description: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          this.#pending.delete(waiter);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          this.#pending.delete(waiter);
          reject(error);
        },
      };
      const timer = setTimeout(() => waiter.reject(new Error(`fake model: timed out after ${timeoutMs} ms waiting for ${description}`)), timeoutMs);
      this.#pending.add(waiter);
    });
  }

  notify(): void {
    for (const waiter of [...this.#pending]) if (waiter.check()) waiter.resolve();
  }

  rejectAll(error: Error): void {
    for (const waiter of [...this.#pending]) waiter.reject(error);
  }
}
