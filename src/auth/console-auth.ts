/**
 * Console sign-in through better-auth, mounted at /api/auth/*. Its users, sessions and codes live in
 * its own small SQLite file (AUTH_DATABASE_PATH), or with AUTH_DATABASE_URL a Postgres database shared by
 * several instances (store/auth-database.ts); tenants stay in the main store.
 *
 * Modes (README "Auth"): email + password by default, signed in at once; with
 * AUTH_REQUIRE_EMAIL_VERIFY=1 sign-up first needs a one-time code sent by email; Google when
 * GOOGLE_CLIENT_ID/SECRET are set. better-auth itself (better-auth-instance.ts) is imported and
 * migrated at the first request that needs it.
 */
import { ServiceUnavailableError } from '../errors.ts';
import { lazy } from '../lib/lazy.ts';
import { openAuthDatabase } from '../store/auth-database.ts';
import type { ConsoleAuthDeps, ConsoleUser } from './console-auth-contract.ts';

export { CLIENT_IP_HEADER, SIGN_IN_ATTEMPTS_PER_MINUTE, type ConsoleAuthDeps, type ConsoleUser } from './console-auth-contract.ts';

export interface AuthInfo {
  auth_disabled: boolean;
  methods: { email_password: boolean; email_otp_verification: boolean; google: boolean };
  sign_up: boolean;
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

/**
 * Opens the auth database now (a bad path or URL fails boot), and starts better-auth (its migrations
 * included) at the first call that needs it; a start that fails is logged, answered 503 and tried
 * again by the next call.
 */
export async function createConsoleAuth(deps: ConsoleAuthDeps): Promise<ConsoleAuth> {
  const { config, logger } = deps;
  const database = openAuthDatabase({ path: config.authDatabasePath, url: config.authDatabaseUrl });
  const started = lazy(async () => (await import('./better-auth-instance.ts')).startBetterAuth(deps, database.betterAuthDatabase));
  const ready = async () => {
    try {
      return await started();
    } catch (err) {
      logger.error({ err, component: 'better-auth' }, 'Console sign-in could not start');
      throw new ServiceUnavailableError(`Console sign-in is unavailable: better-auth could not start on ${database.description} (${(err as Error).message})`);
    }
  };
  return {
    handler: async (request) => (await ready()).handler(request),
    // Without a cookie there is no Console session to look up (and no reason to start better-auth).
    currentUser: async (headers) => (headers.has('cookie') ? (await ready()).currentUser(headers) : undefined),
    // Our own queries of better-auth's user table, which its migrations create.
    findUserByEmail: async (email) => (await ready(), database.findUserByEmail(email)),
    findUsers: async (ids) => (ids.length === 0 ? [] : (await ready(), database.findUsers(ids))),
    info: () => ({
      auth_disabled: config.auth.disabled,
      methods: { email_password: true, email_otp_verification: config.auth.requireEmailVerify, google: Boolean(config.auth.google) },
      sign_up: true,
    }),
    close: () => database.close(),
  };
}
