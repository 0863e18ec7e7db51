/** GET /health: status, version and backends; 503 with the reason when the database is unreachable. */
import type { App } from '../context.ts';
import type { Store } from '../../store/store.ts';
import { VERSION } from '../../version.ts';

export interface HealthInfo {
  store: Store;
  backends: () => Record<string, string>;
}

export function mountHealthRoute(app: App, info: HealthInfo): void {
  app.get('/health', async (c) => {
    const backends = info.backends();
    try {
      await info.store.ping();
    } catch (err) {
      return c.json({ status: 'unavailable', version: VERSION, backends, reason: `database unreachable: ${(err as Error).message}` }, 503);
    }
    return c.json({ status: 'ok', version: VERSION, backends });
  });
}
