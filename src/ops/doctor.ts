/**
 * `oma doctor`: read-only checks of one installation, each with what to do when it fails —
 * secrets and their check value, the database and its migration level, the auth database,
 * sandbox prerequisites, the vault CA (and the sidecar, when one is configured), DATA_DIR's lock
 * and free disk space. Nothing here writes, migrates or kills anything.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { inspectDatabase } from '../store/database-inspection.ts';
import { rootSecretCheckValue } from '../vault/root-secret-check.ts';
import { openAuthDatabase } from '../store/auth-database.ts';
import { isDataDirLocked, readHolderPid } from './data-dir-lock.ts';
import { checkBoxliteSandbox } from './doctor-boxlite.ts';
import { REMOTE_DRIVERS } from '../sandbox/remote/drivers.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

const MIN_FREE_BYTES = 1024 ** 3;

/** The program's `--version` line, or undefined when it cannot be run (not installed). */
function versionOf(program: string): string | undefined {
  const r = spawnSync(program, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.error ? undefined : `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

function checkSecrets(config: Config): Check[] {
  return (['betterAuthSecret', 'platformRootSecret'] as const).map((key) => {
    const name = key === 'betterAuthSecret' ? 'BETTER_AUTH_SECRET' : 'PLATFORM_ROOT_SECRET';
    const file = join(config.dataDir, `.${name.toLowerCase().replace(/_/g, '-')}`);
    if (!config.secrets[key]) return { name, status: 'warn', detail: 'not set and no file yet', fix: `the first server boot generates ${file}; back it up then` };
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) return { name, status: 'fail', detail: `${file} is readable by others`, fix: `chmod 600 ${file}` };
    return { name, status: 'ok', detail: existsSync(file) ? file : 'from the environment' };
  });
}

async function checkDatabase(config: Config): Promise<Check[]> {
  const info = await inspectDatabase(config.database);
  if (info.state === 'missing') return [{ name: 'database', status: 'warn', detail: `${config.database.kind === 'sqlite' ? config.database.path : ''} does not exist yet`, fix: 'the first server boot creates it (or restore a backup into it)' }];
  if (info.state === 'unreachable') return [{ name: 'database', status: 'fail', detail: info.error, fix: 'check DATABASE_URL (host, port, credentials, database name) and that the database server runs' }];
  const checks: Check[] = [{ name: 'database', status: 'ok', detail: info.description }];
  checks.push(info.pending.length === 0
    ? { name: 'migrations', status: 'ok', detail: `at ${info.level} (this build's latest)` }
    : { name: 'migrations', status: 'warn', detail: `at ${info.level}, ${info.pending.length} pending (${info.pending.join(', ')})`, fix: 'the next server boot applies them; take a backup first (npm run oma -- backup --out …)' });
  if (info.checkValue && config.secrets.platformRootSecret) {
    checks.push(info.checkValue === rootSecretCheckValue(config.secrets.platformRootSecret)
      ? { name: 'root secret check', status: 'ok', detail: 'PLATFORM_ROOT_SECRET matches the database' }
      : { name: 'root secret check', status: 'fail', detail: 'PLATFORM_ROOT_SECRET does not match the secret this database was first used with (the server refuses to boot, exit 3)', fix: 'restore the original secret (the DATA_DIR/.platform-root-secret file of a backup, or the old environment value)' });
  }
  return checks;
}

async function checkAuthDatabase(config: Config): Promise<Check[]> {
  if (!config.authDatabaseUrl) return [{ name: 'auth database', status: 'ok', detail: `${config.authDatabasePath} (single instance; AUTH_DATABASE_URL shares sign-in between instances)` }];
  const auth = openAuthDatabase({ path: config.authDatabasePath, url: config.authDatabaseUrl });
  try {
    await auth.findUserByEmail('doctor@invalid');
    return [{ name: 'auth database', status: 'ok', detail: auth.description }];
  } catch (err) {
    const message = (err as Error).message;
    return /does not exist/.test(message)
      ? [{ name: 'auth database', status: 'warn', detail: `${auth.description}: no tables yet`, fix: 'the first server boot creates them' }]
      : [{ name: 'auth database', status: 'fail', detail: message, fix: 'check AUTH_DATABASE_URL and that the database exists' }];
  } finally {
    await auth.close();
  }
}

/**
 * A remote provider (e2b, daytona…): its key, the API answering with it (a read-only listing),
 * and whether sandboxes can reach the vault proxy (VAULT_PROXY_PUBLIC_URL).
 */
async function checkRemoteSandbox(config: Config, name: string): Promise<Check[]> {
  const checks: Check[] = [];
  const driver = REMOTE_DRIVERS[name](config.sandbox);
  try {
    const warnings = await driver.check();
    checks.push(warnings.length === 0
      ? { name: 'sandbox', status: 'ok', detail: `SANDBOX_PROVIDER=${name}: the API answers with the configured key` }
      : { name: 'sandbox', status: 'warn', detail: warnings.join('; '), fix: `check the ${name.toUpperCase()}_API_URL and the network path to it` });
  } catch (err) {
    checks.push({ name: 'sandbox', status: 'fail', detail: `SANDBOX_PROVIDER=${name}: ${(err as Error).message}`, fix: `set a valid ${name.toUpperCase()}_API_KEY (docs/sandbox.md, "Remote providers")` });
  }
  checks.push(config.sandbox.proxyPublic
    ? { name: 'sandbox egress', status: 'ok', detail: `sandboxes reach the vault proxy at ${config.sandbox.proxyPublic.host}:${config.sandbox.proxyPublic.port} (VAULT_PROXY_PUBLIC_URL)` }
    : { name: 'sandbox egress', status: 'warn', detail: 'VAULT_PROXY_PUBLIC_URL is not set: limited-networking sessions are refused, unrestricted ones go out without vault credentials', fix: 'expose the vault proxy to the provider\'s network and set VAULT_PROXY_PUBLIC_URL=http://host:port (docs/sandbox.md)' });
  checks.push({ name: 'sandbox idle timeout', status: 'ok', detail: `machines unused for ${config.sandbox.idleTimeoutS} s are deleted (SANDBOX_IDLE_TIMEOUT_S)` });
  return checks;
}

async function checkSandbox(config: Config): Promise<Check[]> {
  if (config.sandbox.provider === 'boxrun' || config.sandbox.provider === 'litebox') return checkBoxliteSandbox(config);
  if (Object.hasOwn(REMOTE_DRIVERS, config.sandbox.provider)) return checkRemoteSandbox(config, config.sandbox.provider);
  if (config.sandbox.provider !== 'bwrap') {
    return [{ name: 'sandbox', status: config.sandbox.provider === 'subprocess' ? 'warn' : 'ok', detail: `SANDBOX_PROVIDER=${config.sandbox.provider}`, fix: config.sandbox.provider === 'subprocess' ? 'no isolation: use SANDBOX_PROVIDER=bwrap for untrusted agents' : undefined }];
  }
  const checks: Check[] = [];
  const packages: Record<string, string> = { bwrap: 'bubblewrap', slirp4netns: 'slirp4netns (networked sandboxes)', nsenter: 'util-linux (networked sandboxes reach the vault proxy through nsenter)' };
  for (const [program, pkg] of Object.entries(packages)) {
    const found = versionOf(program);
    checks.push(found ? { name: program, status: 'ok', detail: found } : { name: program, status: program === 'bwrap' ? 'fail' : 'warn', detail: 'not on PATH', fix: `apt-get install ${pkg}` });
  }
  if (versionOf('bwrap')) {
    try {
      execFileSync('bwrap', ['--unshare-user', '--ro-bind', '/', '/', 'true'], { stdio: 'pipe', timeout: 10_000 });
      checks.push({ name: 'user namespaces', status: 'ok', detail: 'bwrap --unshare-user works' });
    } catch (err) {
      checks.push({ name: 'user namespaces', status: 'fail', detail: String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n')[0]!, fix: 'enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; in Docker: --security-opt seccomp=unconfined or the image\'s profile)' });
    }
  }
  return checks;
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 80), timeout: 3000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function checkVault(config: Config): Promise<Check[]> {
  const cert = join(config.vault.caDir, 'ca.pem');
  const key = join(config.vault.caDir, 'ca-key.pem');
  const checks: Check[] = [];
  if (!existsSync(cert)) checks.push({ name: 'vault CA', status: 'warn', detail: `${cert} does not exist yet`, fix: 'created when the first sandbox needs the vault proxy (or at oma-vault\'s boot); nothing to do' });
  else {
    const validTo = new Date(new X509Certificate(readFileSync(cert)).validTo);
    const keyOk = existsSync(key) && (statSync(key).mode & 0o077) === 0;
    checks.push(!keyOk
      ? { name: 'vault CA', status: 'fail', detail: existsSync(key) ? `${key} is readable by others` : `${key} is missing`, fix: existsSync(key) ? `chmod 600 ${key}` : `remove ${config.vault.caDir} and restart: a new CA is generated (sandboxes get the new ca.pem)` }
      : { name: 'vault CA', status: validTo.getTime() > Date.now() ? 'ok' : 'fail', detail: `${cert}, valid until ${validTo.toISOString()}`, fix: validTo.getTime() > Date.now() ? undefined : `remove ${config.vault.caDir} and restart to generate a new CA` });
  }
  if (config.vault.proxyUrl) {
    checks.push(await reachable(config.vault.proxyUrl)
      ? { name: 'vault sidecar', status: 'ok', detail: `${config.vault.proxyUrl} answers; it must use this DATABASE_URL and DATA_DIR (its CA) too` }
      : { name: 'vault sidecar', status: 'fail', detail: `${config.vault.proxyUrl} does not answer`, fix: 'start oma-vault (npm run vault) with the same DATABASE_URL and DATA_DIR as the server' });
  }
  return checks;
}

function checkDataDir(config: Config): Check[] {
  const locked = isDataDirLocked(config.dataDir);
  const checks: Check[] = [{ name: 'DATA_DIR', status: 'ok', detail: `${config.dataDir}: ${locked ? `a server runs on it (pid ${readHolderPid(config.dataDir) ?? 'unknown'})` : 'no server running'}` }];
  const fs = statfsSync(config.dataDir);
  const free = fs.bavail * fs.bsize;
  const share = fs.blocks > 0 ? fs.bavail / fs.blocks : 1;
  const detail = `${(free / 1024 ** 3).toFixed(1)} GiB free (${Math.round(share * 100)} %)`;
  checks.push(free < MIN_FREE_BYTES || share < 0.05
    ? { name: 'disk space', status: 'warn', detail, fix: `free space under ${config.dataDir}: SQLite and the sandboxes stop working when the disk is full` }
    : { name: 'disk space', status: 'ok', detail });
  return checks;
}

/** Runs every check; none of them throws (a failure to check is a failed check). */
export async function runDoctor(config: Config): Promise<Check[]> {
  const groups: Array<() => Check[] | Promise<Check[]>> = [() => checkSecrets(config), () => checkDatabase(config), () => checkAuthDatabase(config), () => checkSandbox(config), () => checkVault(config), () => checkDataDir(config)];
  const out: Check[] = [];
  for (const g of groups) {
    try {
      out.push(...(await g()));
    } catch (err) {
      out.push({ name: 'check', status: 'fail', detail: (err as Error).message });
    }
  }
  return out;
}
