/** The Hono app: middleware order and route mounting only. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { AppEnv } from './api/context.ts';
import { createErrorHandler, notFoundHandler } from './api/middleware/error-handler.ts';
import { requestGate } from './api/middleware/request-gate.ts';
import { StreamLimiter } from './api/stream-limits.ts';
import { KeepAlive } from './api/sse-keep-alive.ts';
import type { Config } from './config/schema.ts';
import { authenticate, type AuthOptions } from './auth/middleware.ts';
import { mountAgentRoutes } from './api/routes/agents.ts';
import { mountEnvironmentRoutes } from './api/routes/environments.ts';
import { mountSessionRoutes } from './api/routes/sessions.ts';
import { mountSessionEventRoutes } from './api/routes/session-events.ts';
import { mountModelCardRoutes } from './api/routes/model-cards.ts';
import { mountVaultRoutes } from './api/routes/vaults.ts';
import { mountHealthRoute } from './api/routes/health.ts';
import { mountMemoryStoreRoutes } from './api/routes/memory-stores.ts';
import { mountSessionResourceRoutes } from './api/routes/session-resources.ts';
import { mountMemoryRoutes } from './api/routes/memories.ts';
import { mountMemoryVersionRoutes } from './api/routes/memory-versions.ts';
import { mountFileRoutes } from './api/routes/files.ts';
import { mountSkillRoutes } from './api/routes/skills.ts';
import { mountDeploymentRoutes } from './api/routes/deployments.ts';
import { mountWebhookRoutes } from './api/routes/webhooks.ts';
import { isStreamedUpload } from './api/routes/upload-helpers.ts';
import { mountAuthRoutes, mountPublicAuthRoutes } from './api/routes/auth.ts';
import { mountConsoleRoutes } from './api/routes/console.ts';
import type { ConsoleAuth } from './auth/console-auth.ts';
import type { Services } from './services.ts';
import { VERSION } from './version.ts';

export interface AppOptions {
  services: Services;
  logger: Logger;
  maxBodyBytes: number;
  testEmit: boolean;
  auth: Omit<AuthOptions, 'store' | 'consoleAuth'>;
  /** Allowed hosts and size limits (see Config['security']). */
  security: Config['security'];
  consoleAuth: ConsoleAuth;
  backends: () => Record<string, string>;
  /** The built Console, served after every API route (SPA fallback); unset: no Console. */
  consoleDir?: string;
  /** Mounts extra routes before /v1 auth (auth endpoints, Console). */
  mountExtra?: (app: OpenAPIHono<AppEnv>) => void;
}

export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const { services, logger } = options;
  const app = new OpenAPIHono<AppEnv>();
  app.onError(createErrorHandler(logger));
  app.notFound(notFoundHandler);
  app.use('*', requestGate({ logger, host: { publicUrl: options.auth.publicUrl, allowedHosts: options.security.allowedHosts }, maxBodyBytes: options.maxBodyBytes, isStreamedUpload }));
  mountHealthRoute(app, { store: services.store, backends: options.backends });
  app.get('/openapi.json', (c) => c.json(app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'open managed agents', version: VERSION } })));
  mountPublicAuthRoutes(app, { store: services.store, consoleAuth: options.consoleAuth });
  options.mountExtra?.(app);
  app.use('/v1/*', authenticate({ ...options.auth, store: services.store, consoleAuth: options.consoleAuth }));
  mountAuthRoutes(app, { store: services.store, consoleAuth: options.consoleAuth });
  mountAgentRoutes(app, services);
  mountEnvironmentRoutes(app, services);
  mountSessionRoutes(app, services);
  mountSessionResourceRoutes(app, services);
  mountMemoryStoreRoutes(app, services);
  mountMemoryRoutes(app, services);
  mountMemoryVersionRoutes(app, services);
  mountModelCardRoutes(app, services);
  mountVaultRoutes(app, services);
  mountFileRoutes(app, services);
  mountSkillRoutes(app, services);
  mountDeploymentRoutes(app, services);
  mountWebhookRoutes(app, services);
  mountSessionEventRoutes(app, { events: services.sessionEvents, testEmit: options.testEmit, maxEventBytes: options.security.maxEventBytes, sse: { log: services.log, sessions: services.sessions, logger, limiter: new StreamLimiter(options.security.streams), keepAlive: new KeepAlive(options.security.sseKeepAliveMs), maxEventBytes: options.security.maxEventBytes } });
  if (options.consoleDir) mountConsoleRoutes(app, { dir: options.consoleDir });
  return app;
}
