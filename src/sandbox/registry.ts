/** Picks the sandbox provider named by `SANDBOX_PROVIDER` (the config module reads the variable). */
import { BwrapSandboxProvider } from './bwrap.ts';
import { SandboxError, type SandboxProvider } from './sandbox.ts';
import { SubprocessSandboxProvider } from './subprocess.ts';
import type { SessionUidLedger } from './uid-ledger.ts';
import type { SandboxConfig } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { REMOTE_DRIVERS } from './remote/drivers.ts';
import { RemoteSandboxProvider, type RemoteProviderOptions } from './remote/remote-provider.ts';

/** Local providers; the remote ones are the keys of REMOTE_DRIVERS. */
const LOCAL_PROVIDER_NAMES = ['subprocess', 'bwrap'];

/** Providers this build can create. */
export const SANDBOX_PROVIDER_NAMES: readonly string[] = [...LOCAL_PROVIDER_NAMES, ...Object.keys(REMOTE_DRIVERS)];

/** Providers planned but not available yet; named in the error so an operator knows they are not typos. */
const PLANNED_PROVIDER_NAMES = ['litebox', 'boxrun', 'daytona', 'e2b'].filter((name) => !(name in REMOTE_DRIVERS));

export interface CreateSandboxProviderOptions {
  /** "subprocess" or "bwrap". */
  name: string;
  /** Host directory holding one directory per session (e.g. `<DATA_DIR>/sandboxes`). */
  workdirRoot: string;
  /** Host paths that sandboxes must not see: the data dir, database files, secret files. */
  hiddenPaths?: string[];
  /** This server instance (INSTANCE_ID): subprocess commands left running by a crash are killed at its next boot. */
  instanceId?: string;
  /** bwrap: the uid ledger (the server passes one backed by its database). */
  uids?: SessionUidLedger;
  /** Remote providers: the sandbox config (credentials, idle timeout, proxy address) and the store (remote_sandboxes). */
  remote?: { config: SandboxConfig; store: Store; log?: RemoteProviderOptions['log'] };
}

/**
 * Creates the provider. It does not call `check()`; the caller does that at boot and logs the
 * returned `warnings` (e.g. that subprocess has no isolation). Throws SandboxError for an unknown name.
 */
export function createSandboxProvider(options: CreateSandboxProviderOptions): { provider: SandboxProvider; warnings: string[] } {
  switch (options.name) {
    case 'subprocess':
      return {
        provider: new SubprocessSandboxProvider({ workdirRoot: options.workdirRoot, instanceId: options.instanceId }),
        warnings: [
          'SANDBOX_PROVIDER=subprocess has no isolation: agent commands run as the server user and can read ' +
            `everything it can${describeHidden(options.hiddenPaths)}, and use the host's network whatever the environment's networking says. ` +
            'Use SANDBOX_PROVIDER=bwrap for untrusted agents.',
        ],
      };
    case 'bwrap': {
      const provider = new BwrapSandboxProvider({ workdirRoot: options.workdirRoot, hiddenPaths: options.hiddenPaths, uids: options.uids });
      const warnings = provider.isolatesUsers
        ? []
        : ['SANDBOX_PROVIDER=bwrap: the server does not run as root, so every session runs as the server uid and all sessions share one process limit.'];
      return { provider, warnings };
    }
    default: {
      const driver = Object.hasOwn(REMOTE_DRIVERS, options.name) ? REMOTE_DRIVERS[options.name] : undefined;
      if (driver && options.remote) {
        const { config, store, log } = options.remote;
        const provider = new RemoteSandboxProvider({ driver: driver(config), store, instanceId: options.instanceId ?? 'oma', idleTimeoutS: config.idleTimeoutS, proxyPublic: config.proxyPublic, log });
        const warnings = config.proxyPublic
          ? []
          : [`SANDBOX_PROVIDER=${options.name}: VAULT_PROXY_PUBLIC_URL is not set, so ${options.name} sandboxes cannot reach the vault egress proxy: sessions with limited networking are refused, unrestricted ones go out directly without vault credentials.`];
        return { provider, warnings };
      }
      if (driver) throw new SandboxError({ provider: options.name, operation: 'create', message: `SANDBOX_PROVIDER=${options.name} needs the server's store and sandbox config (internal wiring error).` });
      throw new SandboxError({
        provider: options.name,
        operation: 'create',
        message:
          `Unknown sandbox provider "${options.name}" (SANDBOX_PROVIDER). Valid values: ${SANDBOX_PROVIDER_NAMES.join(', ')}. ` +
          (PLANNED_PROVIDER_NAMES.length > 0 ? `(${PLANNED_PROVIDER_NAMES.join(', ')} are not available yet.)` : ''),
      });
    }
  }
}

function describeHidden(hiddenPaths: string[] | undefined): string {
  return hiddenPaths && hiddenPaths.length > 0 ? `, including ${hiddenPaths.join(', ')}` : '';
}
