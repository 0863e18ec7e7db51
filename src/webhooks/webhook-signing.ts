/**
 * Standard Webhooks signing (reference §9.2): `webhook-signature` is `v1,<base64 HMAC-SHA256>` of
 * `{webhook-id}.{webhook-timestamp}.{body}` with the key after `whsec_`, one entry per live secret
 * (the new and the previous one during a rotation's grace period).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The three Standard Webhooks headers for `body`, signed with every secret in `secrets`. */
export function signedHeaders(secrets: readonly string[], messageId: string, timestampMs: number, body: string): Record<string, string> {
  const at = new Date(timestampMs);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestampMs / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(' '),
  };
}
