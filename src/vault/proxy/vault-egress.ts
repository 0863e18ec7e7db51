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
import { EgressProxy } from './egress-proxy.ts';
import { loadOrCreateProxyCa } from './proxy-ca.ts';
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
  if (config.vault.proxyUrl) {
    const url = new URL(config.vault.proxyUrl);
    const ca = await loadOrCreateProxyCa(config.vault.caDir);
    const endpoint = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) };
    const planner = new SandboxEgressPlanner({ store, tokens, endpoint, caCertPath: ca.certPath });
    return { planner, description: `sidecar ${url.origin}`, close: async () => undefined };
  }
  const proxy = await EgressProxy.start({ store, secretBox: options.secretBox, rootSecret: config.secrets.platformRootSecret, config: config.vault, logger });
  const host = ['0.0.0.0', '::'].includes(config.vault.listenHost) ? '127.0.0.1' : config.vault.listenHost;
  const planner = new SandboxEgressPlanner({ store, tokens, endpoint: { host, port: proxy.port }, caCertPath: proxy.caCertPath });
  logger.info({ port: proxy.port }, `vault egress proxy embedded on ${host}:${proxy.port}`);
  return { planner, description: `embedded ${host}:${proxy.port}`, close: () => proxy.stop() };
}
