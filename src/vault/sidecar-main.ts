/**
 * `npm run vault`: the oma-vault egress proxy as its own process (compose service `oma-vault`).
 * Same configuration as oma-server (DATA_DIR, DATABASE_URL / DATABASE_PATH, PLATFORM_ROOT_SECRET,
 * VAULT_*); it checks that it is on the server's database, then serves until SIGTERM. It reads
 * credentials, writes rotated OAuth tokens and its audit log, and nothing else.
 */
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from '../logger.ts';
import { openStore } from '../store/open-store.ts';
import { checkRootSecret, RootSecretMismatchError } from './root-secret-check.ts';
import { AesGcmSecretBox } from './secret-box.ts';
import { EgressProxy } from './proxy/egress-proxy.ts';
import { checkDatabaseIdentity, DatabaseMismatchError } from './proxy/database-identity.ts';

async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, config.logFormat);
  if (config.database.kind === 'sqlite' && !existsSync(config.database.path)) {
    throw new DatabaseMismatchError(`oma-vault: there is no database at ${config.database.path}. Give oma-vault the same DATABASE_URL or DATABASE_PATH and DATA_DIR as oma-server, and start oma-server first.`);
  }
  const store = await openStore(config.database, { migrate: false });
  try {
    const id = await checkDatabaseIdentity(store, config.dataDir);
    await checkRootSecret(store, config.secrets.platformRootSecret);
    const proxy = await EgressProxy.start({ store, secretBox: new AesGcmSecretBox(config.secrets.platformRootSecret), rootSecret: config.secrets.platformRootSecret, config: config.vault, logger });
    logger.info({ database: id, db: store.description }, `oma-vault listening on ${config.vault.listenHost}:${proxy.port}`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await proxy.stop();
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : err instanceof DatabaseMismatchError || err instanceof RootSecretMismatchError ? 3 : 1);
  },
);
