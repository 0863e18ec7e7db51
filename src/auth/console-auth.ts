/**
 * Console sign-in through better-auth, mounted at /api/auth/*. Its users, sessions and codes live in
 * its own small SQLite file (AUTH_DATABASE_PATH), or with AUTH_DATABASE_URL a Postgres database shared by
 * several instances (store/auth-database.ts); tenants stay in the main store.
 *
 * Modes (README "Auth"): email + password by default, signed in at once; with
 * AUTH_REQUIRE_EMAIL_VERIFY=1 sign-up first needs a one-time code sent by email; Google when
 * GOOGLE_CLIENT_ID/SECRET are set.
 */
import { betterAuth, type BetterAuthOptions } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { emailOTP } from 'better-auth/plugins/email-otp';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { openAuthDatabase, type AuthDatabase } from '../store/auth-database.ts';
import type { EmailSender } from './email.ts';
import { ensureHomeTenant } from './tenancy.ts';

/** Set by the server from the socket (client values are replaced), read by the rate limiter. */
export const CLIENT_IP_HEADER = 'x-oma-client-ip';

/** Sign-in and sign-up attempts per client address per minute. */
export const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;

export interface AuthInfo {
  auth_disabled: boolean;
  methods: { email_password: boolean; email_otp_verification: boolean; google: boolean };
  sign_up: boolean;
}

export interface ConsoleUser {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
}

export interface ConsoleAuth {
  /** Handles a request under /api/auth/*. */
  handler(request: Request): Promise<Response>;
  /** The signed-in user of a request carrying a session cookie, if any. */
  currentUser(headers: Headers): Promise<ConsoleUser | undefined>;
  findUserByEmail(email: string): Promise<ConsoleUser | undefined>;
  findUsers(ids: string[]): Promise<ConsoleUser[]>;
  info(): AuthInfo;
  close(): Promise<void>;
}

type RateLimitStorage = NonNullable<NonNullable<BetterAuthOptions['rateLimit']>['customStorage']>;

/** Per-server (better-auth's own memory store is shared by every instance in the process) fixed windows. */
function fixedWindowLimiter(): RateLimitStorage {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async consume(key, rule) {
      const now = Date.now();
      if (windows.size > 10_000) for (const [k, w] of windows) if (now >= w.resetAt) windows.delete(k);
      let w = windows.get(key);
      if (!w || now >= w.resetAt) {
        w = { count: 0, resetAt: now + rule.window * 1000 };
        windows.set(key, w);
      }
      if (w.count >= rule.max) return { allowed: false, retryAfter: Math.ceil((w.resetAt - now) / 1000) };
      w.count += 1;
      return { allowed: true, retryAfter: null };
    },
  };
}

/** http:// and https:// origins of the request's Host header; none without a request. */
function ownOrigins(request: Request | undefined): string[] {
  const host = request?.headers.get('host');
  return host ? [`http://${host}`, `https://${host}`] : [];
}

export interface ConsoleAuthDeps {
  config: Config;
  store: Store;
  logger: Logger;
  sendEmail: EmailSender;
}

function authOptions({ config, store, logger, sendEmail }: ConsoleAuthDeps, database: AuthDatabase['betterAuthDatabase']): BetterAuthOptions {
  const verify = config.auth.requireEmailVerify;
  const google = config.auth.google;
  return {
    appName: 'open managed agents',
    database,
    secret: config.secrets.betterAuthSecret,
    // Unset: each request's own origin is the base URL and the one trusted origin (same-origin only).
    baseURL: config.auth.publicUrl,
    // The request's own origin (its Host, which the host-check middleware has already accepted as ours).
    // better-auth trusts it for the request itself, but not in the background work of a request, such
    // as the sign-up code sent after sign-up, which then failed with "Invalid origin".
    trustedOrigins: (request) => ownOrigins(request),
    basePath: '/api/auth',
    emailAndPassword: { enabled: true, autoSignIn: true, requireEmailVerification: verify, minPasswordLength: 8 },
    emailVerification: verify ? { sendOnSignUp: true, autoSignInAfterVerification: true } : undefined,
    plugins: verify
      ? [
          emailOTP({
            overrideDefaultEmailVerification: true,
            otpLength: 6,
            expiresIn: 600,
            sendVerificationOTP: ({ email, otp }) =>
              sendEmail({ to: email, subject: 'Your open managed agents sign-up code', text: `Your verification code is ${otp}. It expires in 10 minutes.` }),
          }),
        ]
      : [],
    socialProviders: google ? { google: { clientId: google.clientId, clientSecret: google.clientSecret } } : undefined,
    rateLimit: {
      enabled: true,
      customStorage: fixedWindowLimiter(),
      window: 60,
      max: 300,
      customRules: {
        '/sign-in/email': { window: 60, max: SIGN_IN_ATTEMPTS_PER_MINUTE },
        '/sign-up/email': { window: 60, max: SIGN_IN_ATTEMPTS_PER_MINUTE },
      },
    },
    advanced: {
      cookiePrefix: 'oma',
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    databaseHooks: {
      user: {
        create: {
          after: async (user) => {
            await ensureHomeTenant(store, user);
          },
        },
      },
    },
    logger: {
      level: 'warn',
      log: (level, message) => {
        // Without PUBLIC_URL the request's origin is the base URL on purpose (README); not worth a warning.
        if (message.includes('Base URL is not set')) return;
        logger[level === 'debug' ? 'debug' : level]({ component: 'better-auth' }, message);
      },
    },
  };
}

export async function createConsoleAuth(deps: ConsoleAuthDeps): Promise<ConsoleAuth> {
  const { config } = deps;
  const database = openAuthDatabase({ path: config.authDatabasePath, url: config.authDatabaseUrl });
  try {
    const options = authOptions(deps, database.betterAuthDatabase);
    const { runMigrations } = await getMigrations(options);
    await runMigrations();
    const auth = betterAuth(options);
    const toUser = (u: { id: string; email: string; name: string; emailVerified: boolean }): ConsoleUser => ({ id: u.id, email: u.email, name: u.name, emailVerified: u.emailVerified });
    return {
      handler: (request) => auth.handler(request),
      async currentUser(headers) {
        const session = await auth.api.getSession({ headers });
        return session ? toUser(session.user) : undefined;
      },
      findUserByEmail: (email) => database.findUserByEmail(email),
      findUsers: (ids) => database.findUsers(ids),
      info: () => ({
        auth_disabled: config.auth.disabled,
        methods: { email_password: true, email_otp_verification: config.auth.requireEmailVerify, google: Boolean(config.auth.google) },
        sign_up: true,
      }),
      close: () => database.close(),
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
