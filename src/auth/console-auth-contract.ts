/**
 * What console-auth.ts (loaded at boot) and better-auth-instance.ts (loaded at first use) share,
 * kept apart from both so neither imports the other's module.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import type { EmailSender } from './email.ts';

/** Set by the server from the socket (client values are replaced), read by the rate limiter. */
export const CLIENT_IP_HEADER = 'x-oma-client-ip';

/** Sign-in and sign-up attempts per client address per minute. */
export const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;

export interface ConsoleUser {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
}

export interface ConsoleAuthDeps {
  config: Config;
  store: Store;
  logger: Logger;
  sendEmail: EmailSender;
}
