/**
 * Boots the real server in-process (startServer, as main.ts does) on a bench database: loopback,
 * port 0, auth disabled (every request is tenant "default"), logs silent.
 */
import pino from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import type { TestDatabase } from '../test/support/backends.ts';

/** The tenant every request acts as when AUTH_DISABLED=1. */
export const DEFAULT_TENANT = 'default';

export async function startBenchServer(db: Pick<TestDatabase, 'database' | 'dataDir'>, env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: db.dataDir,
    LOG_LEVEL: 'silent',
    AUTH_DISABLED: '1',
    ANTHROPIC_API_KEY: 'sk-bench-key',
    ...(db.database.kind === 'postgres' ? { DATABASE_URL: db.database.url } : { DATABASE_PATH: db.database.path }),
    ...env,
  });
  if (db.database.kind === 'sqlite') config.database = db.database;
  return startServer(config, pino({ level: 'silent' }));
}

/** Resolves when the session next commits a session.status_idle (after `afterSeq`, if given; subscribe before causing it). */
export function nextIdle(server: RunningServer, sessionId: string, afterSeq = 0): Promise<void> {
  return new Promise((resolve) => {
    const stop = server.services.log.hub.subscribe(sessionId, (m) => {
      if (m.kind === 'events' && m.events.some((e) => e.type === 'session.status_idle' && e.seq > afterSeq)) {
        stop();
        resolve();
      }
    });
  });
}
