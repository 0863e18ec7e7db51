/**
 * Reads the environment once, validates it, derives defaults from DATA_DIR and makes sure the two
 * platform secrets exist (generating them into 0600 files on first boot). The only reader of process.env.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSchema, type Config, type Env } from './schema.ts';
import { boxliteConfig } from './boxlite-config.ts';
import net from 'node:net';

/** A bad configuration value; main prints the one-line message and exits. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The value as an error may show it: secrets hidden, a password inside a URL masked. */
function shownValue(name: string, value: string): string {
  if (/SECRET|PASSWORD|API_KEY|ACCESS_KEY/.test(name)) return '(hidden)';
  return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@'));
}

/**
 * `generateSecrets: false` (restore, doctor) leaves a missing secret empty instead of generating it:
 * a restore brings the backup's secret files, and doctor reports a missing one.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { generateSecrets?: boolean } = {}): Config {
  const e = parseEnv(env);
  const dataDir = resolve(e.DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const generatedSecrets: string[] = [];
  const secret = (name: string, value: string | undefined, make: () => string) => {
    if (value) return value;
    const file = join(dataDir, `.${name.toLowerCase().replace(/_/g, '-')}`);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    if (options.generateSecrets === false) return '';
    const generated = make();
    writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    generatedSecrets.push(`${name} (${file})`);
    return generated;
  };
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, poolTimeoutMs: e.DATABASE_POOL_TIMEOUT_MS }
      : { kind: 'sqlite', path: resolve(e.DATABASE_PATH ?? join(dataDir, 'oma.db')), synchronous: e.SQLITE_SYNCHRONOUS, busyTimeoutMs: e.SQLITE_BUSY_TIMEOUT_MS },
    authDatabasePath: resolve(e.AUTH_DATABASE_PATH ?? join(dataDir, 'auth.db')),
    authDatabaseUrl: e.AUTH_DATABASE_URL,
    sandbox: {
      provider: e.SANDBOX_PROVIDER,
      workdir: resolve(e.SANDBOX_WORKDIR ?? join(dataDir, 'sandboxes')),
      idleTimeoutS: e.SANDBOX_IDLE_TIMEOUT_S,
      proxyPublic: e.VAULT_PROXY_PUBLIC_URL ? { host: new URL(e.VAULT_PROXY_PUBLIC_URL).hostname.replace(/^\[|\]$/g, ''), port: Number(new URL(e.VAULT_PROXY_PUBLIC_URL).port) } : undefined,
      e2b: { apiKey: e.E2B_API_KEY, apiUrl: e.E2B_API_URL, domain: e.E2B_DOMAIN, sandboxUrl: e.E2B_SANDBOX_URL, template: e.E2B_TEMPLATE },
      daytona: { apiKey: e.DAYTONA_API_KEY, apiUrl: e.DAYTONA_API_URL, target: e.DAYTONA_TARGET },
      ...boxliteConfig(e, dataDir),
    },
    memoryBlobDir: resolve(e.MEMORY_BLOB_DIR ?? join(dataDir, 'memory-blobs')),
    memoryS3: memoryS3Config(e),
    files: { blobDir: resolve(e.FILES_BLOB_DIR ?? join(dataDir, 'file-blobs')), uploadDir: join(dataDir, 'uploads'), maxBytes: e.FILES_MAX_BYTES },
    git: gitConfig(e),
    consoleDir: e.CONSOLE_DIR ? resolve(e.CONSOLE_DIR) : fileURLToPath(new URL('../../console/dist', import.meta.url)),
    secrets: {
      betterAuthSecret: secret('BETTER_AUTH_SECRET', e.BETTER_AUTH_SECRET, () => randomBytes(32).toString('hex')),
      platformRootSecret: secret('PLATFORM_ROOT_SECRET', e.PLATFORM_ROOT_SECRET, () => randomBytes(32).toString('base64')),
      platformRootSecretFile: e.PLATFORM_ROOT_SECRET ? undefined : join(dataDir, '.platform-root-secret'),
    },
    generatedSecrets,
    model: {
      apiKey: e.ANTHROPIC_API_KEY, baseURL: e.ANTHROPIC_BASE_URL, maxRetries: e.MODEL_MAX_RETRIES, retryBaseMs: e.MODEL_RETRY_BASE_MS,
      cardAllowedPrivateHosts: (e.MODEL_CARD_ALLOWED_PRIVATE_HOSTS ?? '').split(',').map((h) => h.trim()).filter((h) => h !== ''),
    },
    auth: authConfig(e),
    testEmit: e.OMA_TEST_EMIT,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    maxBodyBytes: e.MAX_BODY_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    leaseTtlMs: e.LEASE_TTL_MS,
    deployments: { pollMs: e.DEPLOYMENT_POLL_MS, stallAt: e.DEPLOYMENT_TEST_STALL_AT },
    webhookPollMs: e.WEBHOOK_POLL_MS,
    webhookRetentionMs: e.WEBHOOK_RETENTION_DAYS * 86_400_000,
    security: {
      allowedHosts: e.ALLOWED_HOSTS,
      maxEventBytes: e.MAX_EVENT_BYTES, sseKeepAliveMs: e.SSE_KEEP_ALIVE_MS,
      streams: { perCredential: e.SSE_MAX_STREAMS_PER_KEY, perTenant: e.SSE_MAX_STREAMS_PER_TENANT, perServer: e.SSE_MAX_STREAMS },
    },
    // Stable across restarts of the same installation, so a restarted server takes back its own
    // leases at once instead of waiting for them to expire; other instances need their own DATA_DIR or INSTANCE_ID.
    instanceId: e.INSTANCE_ID ?? `${hostname()}:${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`,
    vault: vaultConfig(e, dataDir),
    mcp: { connectTimeoutMs: e.MCP_CONNECT_TIMEOUT_MS, callTimeoutMs: e.MCP_CALL_TIMEOUT_MS, maxResultBytes: e.MCP_MAX_RESULT_BYTES },
  };
}

function vaultConfig(e: Env, dataDir: string): Config['vault'] {
  const allowedPrivateHosts = e.VAULT_ALLOWED_PRIVATE_HOSTS.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = allowedPrivateHosts.find((entry) => !isAllowedHostEntry(entry));
  if (bad !== undefined) throw new ConfigError(`invalid VAULT_ALLOWED_PRIVATE_HOSTS: ${JSON.stringify(bad)} is not a host name, IP address or CIDR (comma-separated list)`);
  if (e.VAULT_UPSTREAM_CA_FILE && !existsSync(e.VAULT_UPSTREAM_CA_FILE)) throw new ConfigError(`invalid VAULT_UPSTREAM_CA_FILE: ${JSON.stringify(e.VAULT_UPSTREAM_CA_FILE)} does not exist`);
  return {
    proxyUrl: e.VAULT_PROXY_URL,
    listenHost: e.VAULT_PROXY_HOST,
    listenPort: e.VAULT_PROXY_PORT,
    allowedPrivateHosts,
    upstreamCaFile: e.VAULT_UPSTREAM_CA_FILE ? resolve(e.VAULT_UPSTREAM_CA_FILE) : undefined,
    caDir: join(dataDir, 'vault-ca'),
    auditLogPath: resolve(e.VAULT_AUDIT_LOG ?? join(dataDir, 'vault-audit.jsonl')),
    socketPath: join(dataDir, 'vault-proxy.sock'),
  };
}

/** Validates the environment (empty values count as unset); the first problem becomes a ConfigError. */
function parseEnv(env: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`invalid ${name}=${shownValue(name, cleaned[name] ?? '')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.AUTH_DATABASE_URL !== undefined && e.AUTH_DATABASE_URL === e.DATABASE_URL) {
    throw new ConfigError('invalid AUTH_DATABASE_URL: give better-auth its own database (e.g. …/oma_auth), not DATABASE_URL, so that backups and migrations of each stay apart');
  }
  if (e.SANDBOX_PROVIDER === 'boxrun' && e.BOXRUN_URL === undefined) {
    throw new ConfigError('invalid SANDBOX_PROVIDER=boxrun: BOXRUN_URL is missing; set it to the box API root of a `boxlite serve` host, such as http://kvm-host:8100/v1/default');
  }
  if ((e.GOOGLE_CLIENT_ID === undefined) !== (e.GOOGLE_CLIENT_SECRET === undefined)) {
    throw new ConfigError('invalid GOOGLE_CLIENT_ID/GOOGLE_CLIENT_SECRET: set both to enable Google sign-in, or neither');
  }
  return e;
}

/** MEMORY_S3_*: the bucket and both keys together, or none of them. */
function memoryS3Config(e: Env): Config['memoryS3'] {
  const required = { MEMORY_S3_BUCKET: e.MEMORY_S3_BUCKET, MEMORY_S3_ACCESS_KEY: e.MEMORY_S3_ACCESS_KEY, MEMORY_S3_SECRET_KEY: e.MEMORY_S3_SECRET_KEY };
  const missing = Object.entries(required).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length === 3 && e.MEMORY_S3_ENDPOINT === undefined) return undefined;
  if (missing.length > 0) throw new ConfigError(`invalid MEMORY_S3_*: ${missing.join(', ')} missing; set MEMORY_S3_BUCKET, MEMORY_S3_ACCESS_KEY and MEMORY_S3_SECRET_KEY together (or none, for MEMORY_BLOB_DIR)`);
  return {
    endpoint: e.MEMORY_S3_ENDPOINT,
    bucket: e.MEMORY_S3_BUCKET!,
    region: e.MEMORY_S3_REGION,
    accessKeyId: e.MEMORY_S3_ACCESS_KEY!,
    secretAccessKey: e.MEMORY_S3_SECRET_KEY!,
    forcePathStyle: e.MEMORY_S3_FORCE_PATH_STYLE,
  };
}

function authConfig(e: Env): Config['auth'] {
  return {
    disabled: e.AUTH_DISABLED,
    requireEmailVerify: e.AUTH_REQUIRE_EMAIL_VERIFY,
    google: e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET ? { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET } : undefined,
    publicUrl: e.PUBLIC_URL,
    smtp: e.SMTP_HOST
      ? { host: e.SMTP_HOST, port: e.SMTP_PORT ?? 587, user: e.SMTP_USER, password: e.SMTP_PASSWORD, from: e.SMTP_FROM ?? `oma@${e.SMTP_HOST}` }
      : undefined,
  };
}

/** True when `entry` is a valid VAULT_ALLOWED_PRIVATE_HOSTS entry (host name, IP or CIDR). */
export function isAllowedHostEntry(entry: string): boolean {
  const [network, bits, extra] = entry.split('/');
  if (extra !== undefined || !network) return false;
  const family = net.isIP(network);
  if (bits !== undefined) return family !== 0 && /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  return family !== 0 || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(network);
}

function gitConfig(e: Env): Config['git'] {
  return {
    baseUrl: e.GIT_BASE_URL.replace(/\/+$/, ''),
    allowedPrivateHosts: e.GIT_ALLOWED_PRIVATE_HOSTS.split(',').map((h) => h.trim()).filter((h) => h !== ''),
  };
}
