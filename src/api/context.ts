/** Typed per-request variables shared by middleware and routes. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Principal } from '../auth/principal.ts';

export interface AppVariables {
  requestId: string;
  principal: Principal;
}

export type AppEnv = { Variables: AppVariables };
export type App = OpenAPIHono<AppEnv>;
