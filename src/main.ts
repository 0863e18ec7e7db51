/** Process entry: config → server → signals. */
import { ConfigError, loadConfig } from './config/load.ts';
import { createLogger } from './logger.ts';
import { startServer, type RunningServer } from './server.ts';
import { RootSecretMismatchError } from './vault/root-secret-check.ts';
import { logBootWarnings } from './boot-warnings.ts';
import { DataDirInUseError } from './ops/data-dir-lock.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`oma-server: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const logger = createLogger(config.logLevel, config.logFormat);
logBootWarnings(config, logger);
// Signals are handled from the start: a SIGTERM that arrives while the server boots (e.g. right
// after "listening" is printed, before the old handlers were installed) used to kill the process
// with the default action instead of shutting it down; now the shutdown starts once the boot is done.
let server: RunningServer | undefined;
let stopping = false;
const shutdown = (running: RunningServer) =>
  running.close().then(() => process.exit(0), (err: unknown) => {
    logger.error({ err }, 'shutdown failed');
    process.exit(1);
  });
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    logger.error('shutdown took longer than SHUTDOWN_TIMEOUT_MS; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  force.unref();
  if (server) void shutdown(server);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
try {
  server = await startServer(config, logger);
  logger.info({ url: server.url, db: server.services.store.description, sandbox: server.runtime.sandboxName }, `oma-server listening on ${config.host}:${server.port}`);
  if (stopping) void shutdown(server);
} catch (err) {
  if (err instanceof DataDirInUseError) {
    process.stderr.write(`oma-server: ${err.message}\n`);
    process.exit(4);
  }
  if (err instanceof RootSecretMismatchError) {
    logger.fatal(err.message);
    process.exit(3);
  }
  logger.fatal({ err }, `oma-server failed to start: ${(err as Error).message}`);
  process.exit(1);
}
