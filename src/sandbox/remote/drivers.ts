/**
 * The remote drivers this build has, by SANDBOX_PROVIDER value. Each entry builds its driver from
 * the sandbox config; add one line per driver (see /work/notes/remote-sandbox-api.md).
 */
import type { SandboxConfig } from '../../config/schema.ts';
import type { RemoteDriver } from './driver.ts';

export type RemoteDriverFactory = (config: SandboxConfig) => RemoteDriver;

export const REMOTE_DRIVERS: Record<string, RemoteDriverFactory> = {};
