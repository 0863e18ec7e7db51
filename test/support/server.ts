/**
 * Boots the real server in-process on port 0 with a fresh database of the given backend, and gives
 * back the official SDK pointed at it. `stop()` shuts the server down and drops the database.
 */
import Anthropic from '@anthropic-ai/sdk';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { basename } from 'node:path';
import { expect } from 'vitest';
import { createTestDatabase, type Backend, type TestDatabase } from './backends.ts';
import { recordEventLogs } from './event-log-corpus.ts';
import type { ModelClient } from '../../src/harness/model/model-client.ts';
import type { Clock } from '../../src/lib/clock.ts';

export interface TestServer {
  baseURL: string;
  client: Anthropic;
  apiKey: string;
  server: RunningServer;
  db: TestDatabase;
  config: Config;
  /** Every log line the server wrote (JSON), when started with captureLogs. */
  logLines: string[];
  /** A client for another tenant (fresh key). */
  clientForTenant(tenantId: string): Promise<Anthropic>;
  /** Stops the server but keeps the database (for restart tests). */
  stopServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  db?: TestDatabase;
  /** Keep the server's log lines in `logLines` (level from env LOG_LEVEL, else trace). */
  captureLogs?: boolean;
  /** A model client in place of the configured ones (it must implement the port faithfully or fail on purpose). */
  model?: ModelClient;
  /** The server's clock (e.g. a ManualClock the test moves instead of sleeping). */
  clock?: Clock;
}

export async function startTestServer(backend: Backend, options: TestServerOptions = {}): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase(backend));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: db.dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ANTHROPIC_API_KEY: 'sk-test-key',
    // Model cards point at loopback fakes; a real deployment lists only its local model servers.
    MODEL_CARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    MODEL_RETRY_BASE_MS: '10',
    ...options.env,
  };
  if (db.database.kind === 'postgres') env.DATABASE_URL = db.database.url;
  else env.DATABASE_PATH = db.database.path;
  const config = loadConfig(env);
  if (db.database.kind === 'sqlite') config.database = db.database;
  const logLines: string[] = [];
  const logger = options.captureLogs
    ? pino({ level: options.env?.LOG_LEVEL ?? 'trace' }, { write: (line: string) => void logLines.push(line) })
    : pino({ level: env.LOG_LEVEL });
  const server = await startServer(config, logger, { model: options.model, clock: options.clock });
  const { key } = await createApiKey(server.services.store, { tenantId: 'tenant_test', name: 'test' });
  await server.services.store.tenants.ensure('tenant_test', 'test', Date.now());
  const makeClient = (apiKey: string) => new Anthropic({ apiKey, baseURL: server.url, maxRetries: 0 });
  let stopped = false;
  const stopServer = async () => {
    if (stopped) return;
    stopped = true;
    const recordTo = process.env.OMA_RECORD_EVENT_LOGS;
    if (recordTo) await recordEventLogs(server.services.store, recordTo, `${basename(expect.getState().testPath ?? 'suite', '.test.ts')}-${backend}-${Date.now()}`);
    await server.close();
  };
  return {
    baseURL: server.url,
    client: makeClient(key),
    apiKey: key,
    server,
    db,
    config,
    logLines,
    async clientForTenant(tenantId) {
      await server.services.store.tenants.ensure(tenantId, tenantId, Date.now());
      return makeClient((await createApiKey(server.services.store, { tenantId, name: 'test' })).key);
    },
    stopServer,
    async stop() {
      await stopServer();
      if (!options.db) await db.drop();
    },
  };
}
