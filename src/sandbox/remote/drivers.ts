/**
 * The remote drivers this build has, by SANDBOX_PROVIDER value. Each entry builds its driver from
 * the sandbox config; add one line per driver (see /work/notes/remote-sandbox-api.md).
 *
 * The e2b and Daytona SDKs are imported on the driver's first call, not when the server loads this
 * file: a server that runs another provider never pays for them (Daytona's SDK alone is ~50 MB of
 * resident memory, e2b's ~25 MB), and one that runs them pays at the first sandbox, once.
 */
import type { SandboxConfig } from '../../config/schema.ts';
import type { RemoteDriver } from './driver.ts';
import { lazy } from '../../lib/lazy.ts';
import { boxrunDriverFrom } from '../boxlite/boxrun-driver.ts';
import { liteboxDriverFrom } from '../boxlite/litebox-driver.ts';

export type RemoteDriverFactory = (config: SandboxConfig) => RemoteDriver;

/** A driver that imports its implementation on first use (a failed import is retried on the next call). */
export function lazyDriver(name: string, load: () => Promise<RemoteDriver>): RemoteDriver {
  const driver = lazy(load);
  return {
    name,
    check: async () => (await driver()).check(),
    create: async (spec) => (await driver()).create(spec),
    connect: async (sandboxId, spec) => (await driver()).connect(sandboxId, spec),
    destroy: async (sandboxId) => (await driver()).destroy(sandboxId),
    list: async (deployment) => (await driver()).list(deployment),
  };
}

export const REMOTE_DRIVERS: Record<string, RemoteDriverFactory> = {
  e2b: (config) => lazyDriver('e2b', async () => new (await import('./e2b.ts')).E2bDriver(config.e2b)),
  daytona: (config) => lazyDriver('daytona', async () => new (await import('./daytona.ts')).DaytonaDriver(config.daytona)),
  boxrun: (config) => boxrunDriverFrom(config),
  litebox: (config) => liteboxDriverFrom(config),
};
