/**
 * The one description of the server's environment. `load.ts` is the only reader of process.env;
 * everything else receives the typed `Config`.
 */
import { z } from 'zod';

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

export const envSchema = z.object({
  PORT: port.default(8787),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_PATH: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql:// (unset it to use SQLite)')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).default(10),
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(1).default(5000),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL', 'OFF', 'EXTRA']).default('FULL'),
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).default(5000),
  AUTH_DATABASE_PATH: z.string().min(1).optional(),
  AUTH_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql:// (unset it to keep sign-ins in AUTH_DATABASE_PATH)')
    .optional(),
  SANDBOX_PROVIDER: z.string().min(1).default('subprocess'),
  SANDBOX_WORKDIR: z.string().min(1).optional(),
  SANDBOX_IDLE_TIMEOUT_S: z.coerce.number().int().min(60).default(1800),
  E2B_API_KEY: z.string().min(1).optional(),
  E2B_API_URL: z.string().url('must be a URL such as https://api.e2b.app').optional(),
  E2B_DOMAIN: z.string().min(1).optional(),
  E2B_SANDBOX_URL: z.string().url('must be a URL such as https://sandbox.e2b.app').optional(),
  E2B_TEMPLATE: z.string().min(1).default('base'),
  DAYTONA_API_KEY: z.string().min(1).optional(),
  DAYTONA_API_URL: z.string().url('must be a URL such as https://app.daytona.io/api').optional(),
  DAYTONA_TARGET: z.string().min(1).optional(),
  MEMORY_BLOB_DIR: z.string().min(1).optional(),
  FILES_BLOB_DIR: z.string().min(1).optional(),
  FILES_MAX_BYTES: z.coerce.number().int().positive().default(500 * 1024 * 1024),
  MEMORY_S3_ENDPOINT: z.string().url('must be a URL such as https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000').optional(),
  MEMORY_S3_BUCKET: z.string().min(1).optional(),
  MEMORY_S3_ACCESS_KEY: z.string().min(1).optional(),
  MEMORY_S3_SECRET_KEY: z.string().min(1).optional(),
  MEMORY_S3_REGION: z.string().min(1).default('us-east-1'),
  MEMORY_S3_FORCE_PATH_STYLE: flag,
  CONSOLE_DIR: z.string().min(1).optional(),
  BETTER_AUTH_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  PLATFORM_ROOT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.string().url('must be a URL such as https://api.anthropic.com').optional(),
  MODEL_CARD_ALLOWED_PRIVATE_HOSTS: z.string().optional(),
  GIT_BASE_URL: z
    .string()
    .url('must be a URL such as https://github.com or https://ghe.example.com')
    .refine((u) => /^https?:$/.test(new URL(u).protocol) && !new URL(u).search && !new URL(u).hash && !new URL(u).username, { message: 'must be an http(s) URL without credentials, query or fragment' })
    .default('https://github.com'),
  GIT_ALLOWED_PRIVATE_HOSTS: z.string().default(''),
  AUTH_DISABLED: flag,
  AUTH_REQUIRE_EMAIL_VERIFY: flag,
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  PUBLIC_URL: z.string().url().optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: port.optional(),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_FROM: z.string().optional(),
  OMA_TEST_EMIT: z.enum(['0', '1', 'true', 'false', '']).optional().transform((v) => v !== '0' && v !== 'false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(32 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  MODEL_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  MODEL_RETRY_BASE_MS: z.coerce.number().int().min(0).default(1000),
  LEASE_TTL_MS: z.coerce.number().int().min(1000).default(30_000),
  INSTANCE_ID: z.string().min(1).optional(),
  DEPLOYMENT_POLL_MS: z.coerce.number().int().min(10).default(1000),
  DEPLOYMENT_TEST_STALL_AT: z.enum(['claim', 'session']).optional(),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  ALLOWED_HOSTS: z.string().optional().transform((v) => (v ?? '').split(',').map((h) => h.trim()).filter(Boolean)),
  MAX_EVENT_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(4 * 1024 * 1024),
  SSE_MAX_STREAMS_PER_KEY: z.coerce.number().int().positive().default(256),
  SSE_MAX_STREAMS_PER_TENANT: z.coerce.number().int().positive().default(1024),
  SSE_MAX_STREAMS: z.coerce.number().int().positive().default(4096),
  SSE_KEEP_ALIVE_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  VAULT_PROXY_URL: z.string().url('must be a URL such as http://oma-vault:8788').regex(/^http:\/\//, 'must be an http:// URL (the proxy itself is reached over plain HTTP; HTTPS goes through it with CONNECT)').optional(),
  VAULT_PROXY_PUBLIC_URL: z.string().url('must be a URL such as http://203.0.113.7:8788').regex(/^http:\/\/[^/]+:\d+\/?$/, 'must be http://host:port (where remote sandboxes reach the vault proxy)').optional(),
  VAULT_PROXY_HOST: z.string().min(1).default('127.0.0.1'),
  VAULT_PROXY_PORT: port.default(0),
  VAULT_ALLOWED_PRIVATE_HOSTS: z.string().default(''),
  VAULT_UPSTREAM_CA_FILE: z.string().min(1).optional(),
  VAULT_AUDIT_LOG: z.string().min(1).optional(),
  MCP_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  MCP_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  MCP_MAX_RESULT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  BOXRUN_URL: z.string().url('must be the box API root of `boxlite serve`, such as http://kvm-host:8100/v1/default').regex(/^https?:\/\//, 'must be an http:// or https:// URL').optional(),
  BOXRUN_API_KEY: z.string().min(1).optional(),
  BOXRUN_IMAGE: z.string().min(1).optional(),
  LITEBOX_HOME: z.string().min(1).optional(),
  LITEBOX_IMAGE: z.string().min(1).optional(),
  LITEBOX_ROOTFS_PATH: z.string().min(1).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database:
    | { kind: 'sqlite'; path: string; synchronous: 'FULL' | 'NORMAL' | 'OFF' | 'EXTRA'; busyTimeoutMs?: number }
    | { kind: 'postgres'; url: string; poolMax?: number; poolTimeoutMs?: number };
  authDatabasePath: string;
  /** better-auth in Postgres (shared by several instances) instead of authDatabasePath. */
  authDatabaseUrl?: string;
  sandbox: SandboxConfig;
  memoryBlobDir: string;
  /** Memory blobs in an S3-compatible bucket instead of memoryBlobDir (all of MEMORY_S3_* set). */
  memoryS3?: { endpoint?: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean };
  /** Files and skills: blobs in `blobDir` (or the MEMORY_S3_* bucket under `files/`), uploads spooled in `uploadDir`. */
  files: { blobDir: string; uploadDir: string; maxBytes: number };
  secrets: {
    betterAuthSecret: string;
    platformRootSecret: string;
    /** The file PLATFORM_ROOT_SECRET was read from (DATA_DIR/.platform-root-secret); unset when the environment set it. */
    platformRootSecretFile?: string;
  };
  /** The built Console (index.html + assets/), served on the same port; absent: a hint page instead. */
  consoleDir: string;
  /** Names of the secrets that were generated on this boot (for the warning). */
  generatedSecrets: string[];
  model: {
    apiKey?: string; baseURL?: string; maxRetries: number; retryBaseMs: number;
    /** Hosts (names or IPs, `*` for all) model cards may reach although they are not public. */
    cardAllowedPrivateHosts: string[];
  };
  /** github_repository resources: where repositories are cloned from, and private hosts allowed for that. */
  git: GitConfig;
  auth: {
    disabled: boolean;
    requireEmailVerify: boolean;
    google?: { clientId: string; clientSecret: string };
    publicUrl?: string;
    smtp?: { host: string; port: number; user?: string; password?: string; from: string };
  };
  testEmit: boolean;
  logLevel: Env['LOG_LEVEL'];
  /** `pretty` (readable lines) or `json` (one object per line); default pretty when stdout is a terminal. */
  logFormat: 'json' | 'pretty';
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  leaseTtlMs: number;
  instanceId: string;
  deployments: {
    /** How often each instance polls for due deployment slots and expired run claims (real ms). */
    pollMs: number;
    /** Testing only: a run stops for good at this point, to be killed there (crash tests). */
    stallAt?: 'claim' | 'session';
  };
  /** WEBHOOK_POLL_MS: how often each instance looks for webhook events to fan out and deliveries due. */
  webhookPollMs: number;
  /** WEBHOOK_RETENTION_DAYS, in ms: delivered and finally failed deliveries (their attempts, and events no delivery needs) older than this are deleted. */
  webhookRetentionMs: number;
  security: {
    /** ALLOWED_HOSTS: Host names answered besides loopback names, IP literals and PUBLIC_URL's host. */
    allowedHosts: string[];
    /** MAX_EVENT_BYTES: the largest event (its JSON, in bytes) POST /v1/sessions/{id}/events accepts. */
    maxEventBytes: number;
    /** SSE_MAX_STREAMS_PER_KEY / _PER_TENANT / SSE_MAX_STREAMS: open event streams allowed. */
    streams: { perCredential: number; perTenant: number; perServer: number };
    /** SSE_KEEP_ALIVE_MS: the longest an open event stream stays silent before a `: keep-alive` comment. */
    sseKeepAliveMs: number;
  };
  vault: VaultConfig;
  /** The server's MCP client: connect/list and call timeouts, largest tool result (MCP_*). */
  mcp: { connectTimeoutMs: number; callTimeoutMs: number; maxResultBytes: number };
}

export interface SandboxConfig {
  provider: string;
  workdir: string;
  /** Remote providers: a machine unused this long is deleted (SANDBOX_IDLE_TIMEOUT_S). */
  idleTimeoutS: number;
  /** VAULT_PROXY_PUBLIC_URL: the vault proxy as remote machines reach it. */
  proxyPublic?: { host: string; port: number };
  e2b: { apiKey?: string; apiUrl?: string; domain?: string; sandboxUrl?: string; template: string };
  daytona: { apiKey?: string; apiUrl?: string; target?: string };
  /** SANDBOX_PROVIDER=boxrun: a `boxlite serve` host (BOXRUN_*; set when BOXRUN_URL is). */
  boxrun?: { url: string; apiKey?: string; image?: string };
  /** SANDBOX_PROVIDER=litebox: the embedded BoxLite runtime (LITEBOX_*). */
  litebox?: { homeDir: string; image?: string; rootfsPath?: string };
}

export interface GitConfig {
  /** GIT_BASE_URL without a trailing slash: repository URLs must lie under it. */
  baseUrl: string;
  /** GIT_ALLOWED_PRIVATE_HOSTS: hosts (names or IPs, `*` for all) the clone may reach although not public. */
  allowedPrivateHosts: string[];
}

export interface VaultConfig {
  /** Set: sandboxes use this proxy (the `npm run vault` sidecar); unset: the server embeds one. */
  proxyUrl?: string;
  /** Where the proxy listens (embedded: loopback, port 0 = any free port; sidecar: 0.0.0.0:8788 in compose). */
  listenHost: string;
  listenPort: number;
  /** Host names, IP addresses and CIDRs the proxy may reach although they are not public. */
  allowedPrivateHosts: string[];
  /** Extra CA bundle trusted for upstream certificates, besides the system roots. */
  upstreamCaFile?: string;
  /** The proxy's CA (certificate and 0600 key), generated at first boot. */
  caDir: string;
  /** JSON-lines audit log of every proxy decision. */
  auditLogPath: string;
  /** The proxy's unix socket (bwrap sandboxes reach the proxy only through it). */
  socketPath: string;
}
