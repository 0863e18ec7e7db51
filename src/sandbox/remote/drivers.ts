/**
 * The remote drivers this build has, by SANDBOX_PROVIDER value. Each entry builds its driver from
 * the sandbox config; add one line per driver (see /work/notes/remote-sandbox-api.md).
 */
import type { SandboxConfig } from '../../config/schema.ts';
import type { RemoteDriver } from './driver.ts';
import { E2bDriver } from './e2b.ts';
import { DaytonaDriver } from './daytona.ts';
import { boxrunDriverFrom } from '../boxlite/boxrun-driver.ts';
import { liteboxDriverFrom } from '../boxlite/litebox-driver.ts';

export type RemoteDriverFactory = (config: SandboxConfig) => RemoteDriver;

export const REMOTE_DRIVERS: Record<string, RemoteDriverFactory> = {
  e2b: (config) => new E2bDriver(config.e2b),
  daytona: (config) => new DaytonaDriver(config.daytona),
  boxrun: (config) => boxrunDriverFrom(config),
  litebox: (config) => liteboxDriverFrom(config),
};
