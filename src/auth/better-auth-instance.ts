/**
 * better-auth itself: its options and, once per server, its migrations and instance. Imported by
 * console-auth.ts at the first request that needs Console sign-in (a /api/auth/* call, a request
 * carrying a cookie, a member lookup), not at boot: better-auth's module graph is ~15 MB of an idle
 * server's resident memory, and a server used through API keys never needs it.
 */
import { betterAuth, type BetterAuthOptions } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { emailOTP } from 'better-auth/plugins/email-otp';
import type { AuthDatabase } from '../store/auth-database.ts';
import { CLIENT_IP_HEADER, SIGN_IN_ATTEMPTS_PER_MINUTE, type ConsoleAuthDeps, type ConsoleUser } from './console-auth-contract.ts';
import { ensureHomeTenant } from './tenancy.ts';

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

/** What console-auth.ts needs of better-auth. */
export interface BetterAuthInstance {
  handler(request: Request): Promise<Response>;
  currentUser(headers: Headers): Promise<ConsoleUser | undefined>;
}

/** Creates or migrates better-auth's tables in `database`, then builds the instance. */
export async function startBetterAuth(deps: ConsoleAuthDeps, database: AuthDatabase['betterAuthDatabase']): Promise<BetterAuthInstance> {
  const options = authOptions(deps, database);
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  const auth = betterAuth(options);
  return {
    handler: (request) => auth.handler(request),
    async currentUser(headers) {
      const session = await auth.api.getSession({ headers });
      if (!session) return undefined;
      const u = session.user;
      return { id: u.id, email: u.email, name: u.name, emailVerified: u.emailVerified };
    },
  };
}
