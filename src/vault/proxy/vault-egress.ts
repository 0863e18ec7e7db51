/**
 * Boot wiring of the vault egress path for oma-server: either the embedded proxy (default, on a
 * loopback port inside this process) or the sidecar named by VAULT_PROXY_URL (`npm run vault`).
 * Either way the server records the database identity the sidecar checks, and gives the harness
 * a planner that tells each sandbox how to reach the proxy.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import type { Store } from '../../store/store.ts';
import type { SecretBox } from '../secret-box.ts';
import type { EgressProxy } from './egress-proxy.ts';
import net from 'node:net';
import { ProxyTokens } from './proxy-token.ts';
import { SandboxEgressPlanner } from './sandbox-egress.ts';

/** platform_meta key of the database identity, and the file in DATA_DIR that mirrors it. */
export const DATABASE_ID_KEY = 'database_id';
export const DATABASE_ID_FILE = '.database-id';

export interface VaultEgress {
  planner: SandboxEgressPlanner;
  /** "embedded 127.0.0.1:port" or "sidecar http://…" (for /health and the boot log). */
  description: string;
  close(): Promise<void>;
}

/** Ensures the database has an identity and mirrors it into DATA_DIR for the sidecar's check. */
export async function recordDatabaseIdentity(store: Store, dataDir: string): Promise<string> {
  const id = await store.meta.setIfAbsent(DATABASE_ID_KEY, `db_${randomBytes(12).toString('hex')}`);
  writeFileSync(join(dataDir, DATABASE_ID_FILE), `${id}\n`, { mode: 0o644 });
  return id;
}

export async function startVaultEgress(options: { config: Config; store: Store; secretBox: SecretBox; logger: Logger }): Promise<VaultEgress> {
  const { config, store, logger } = options;
  await recordDatabaseIdentity(store, config.dataDir);
  const tokens = new ProxyTokens(config.secrets.platformRootSecret);
  // The embedded proxy is the way out when no sidecar is configured, and the fallback when the
  // configured one is not running (`docker compose up oma-server` alone). It starts with the first
  // sandbox that needs it (making its CA and TLS setup take seconds on a busy machine).
  const embeddedConfig = config.vault.proxyUrl
    ? { ...config.vault, listenHost: '127.0.0.1', listenPort: 0, socketPath: join(config.dataDir, 'vault-proxy-embedded.sock') }
    : config.vault;
  const host = ['0.0.0.0', '::'].includes(embeddedConfig.listenHost) ? '127.0.0.1' : embeddedConfig.listenHost;
  let proxy: Promise<EgressProxy> | undefined;
  const embedded = async () => {
    // Imported here: mockttp takes ~0.4 s to load, which a server whose sandboxes never go online should not pay at boot.
    proxy ??= import('./egress-proxy.ts').then(({ EgressProxy }) => EgressProxy.start({ store, secretBox: options.secretBox, rootSecret: config.secrets.platformRootSecret, config: embeddedConfig, logger })).then((p) => {
      logger.info({ port: p.port }, `vault egress proxy embedded on ${host}:${p.port}`);
      return p;
    });
    proxy.catch(() => (proxy = undefined));
    const running = await proxy;
    return { host, port: running.port, socketPath: running.socketPath };
  };
  const sidecar = config.vault.proxyUrl ? new URL(config.vault.proxyUrl) : undefined;
  // The sidecar's socket is in the shared DATA_DIR (compose mounts ./data into both containers).
  const sidecarEndpoint = sidecar && { host: sidecar.hostname.replace(/^\[|\]$/g, ''), port: Number(sidecar.port || 80), socketPath: config.vault.socketPath };
  let warned = false;
  const endpoint = async () => {
    if (!sidecarEndpoint) return embedded();
    if (await isReachable(sidecarEndpoint)) return sidecarEndpoint;
    if (!warned) logger.warn(`VAULT_PROXY_URL ${sidecar!.origin} does not answer; sandboxes use the embedded proxy until it does`);
    warned = true;
    return embedded();
  };
  const planner = new SandboxEgressPlanner({ store, tokens, endpoint, caCertPath: join(config.vault.caDir, 'ca.pem') });
  return {
    planner,
    description: sidecar ? `sidecar ${sidecar.origin} (embedded fallback)` : `embedded ${host}`,
    close: async () => {
      if (proxy) await (await proxy.catch(() => undefined))?.stop();
    },
  };
}

/** Whether something accepts TCP connections at `endpoint` within a second. */
function isReachable(endpoint: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
