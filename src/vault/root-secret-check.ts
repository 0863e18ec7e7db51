/**
 * Guards against booting with a different PLATFORM_ROOT_SECRET than the data was encrypted with:
 * the first boot stores an HMAC check value; later boots must reproduce it or refuse to start.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.ts';

/** platform_meta key of the check value. */
export const ROOT_SECRET_CHECK_KEY = 'platform_root_secret_check';

/** The stored check value of a root secret (an HMAC, not the secret). */
export function rootSecretCheckValue(secret: string): string {
  return createHmac('sha256', secret).update('oma root secret check v1').digest('hex');
}

export class RootSecretMismatchError extends Error {
  constructor() {
    super(
      'PLATFORM_ROOT_SECRET does not match the secret this database was first used with, so encrypted credentials would be unreadable. ' +
        'Restore the original PLATFORM_ROOT_SECRET (or the DATA_DIR/.platform-root-secret file) and start again.',
    );
    this.name = 'RootSecretMismatchError';
  }
}

export async function checkRootSecret(store: Store, secret: string): Promise<void> {
  const value = rootSecretCheckValue(secret);
  const stored = await store.meta.setIfAbsent(ROOT_SECRET_CHECK_KEY, value);
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(value, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new RootSecretMismatchError();
}
