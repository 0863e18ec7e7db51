/** Retries a provider call the provider said was retryable (429, 5xx gateway errors, resets), with exponential backoff. */
import { RemoteProviderError } from './driver.ts';

export interface RetryPolicy {
  /** Attempts in all (default 3). */
  attempts: number;
  /** First delay in ms, doubled each time, with ±20% jitter (default 500). */
  baseMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseMs: 500 };

export async function withRetry<T>(call: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof RemoteProviderError) || !error.retryable || attempt >= policy.attempts) throw error;
      const delay = policy.baseMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
