/**
 * GET /health: status, version and backends; 503 with the reason when the database is unreachable
 * or does not answer within PING_TIMEOUT_MS (a server that accepted the connection and froze, or a
 * pool whose connections are all held), so a probe gets an answer instead of hanging.
 */
import type { App } from '../context.ts';
import type { Store } from '../../store/store.ts';
import { VERSION } from '../../version.ts';

const PING_TIMEOUT_MS = 2000;

export interface HealthInfo {
  store: Store;
  backends: () => Record<string, string>;
}

export function mountHealthRoute(app: App, info: HealthInfo): void {
  app.get('/health', async (c) => {
    const backends = info.backends();
    try {
      await withTimeout(info.store.ping(), PING_TIMEOUT_MS, `no answer within ${PING_TIMEOUT_MS} ms`);
    } catch (err) {
      return c.json({ status: 'unavailable', version: VERSION, backends, reason: `database unreachable: ${(err as Error).message}` }, 503);
    }
    return c.json({ status: 'ok', version: VERSION, backends });
  });
}

async function withTimeout(work: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
