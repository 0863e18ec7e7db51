/**
 * The one sealing module (DESIGN.md's `SecretBox` port). Every secret the server keeps at rest —
 * vault credentials, model-card API keys and headers, MCP and Git tokens — is sealed here and
 * nowhere else, and every column that holds a sealed value is listed in `sealed-columns.ts`, so
 * `npm run oma -- rotate-root-secret` can re-encrypt all of them. It owns the key schedule and the
 * ciphertext format; it does not own storage, and it never logs or returns plaintext in an error.
 *
 * Scheme: AES-256-GCM, 96-bit random IV, 128-bit tag. The key is HKDF-SHA256 of
 * `PLATFORM_ROOT_SECRET` with a tenant-scoped info string, so one tenant's key opens nothing of
 * another's. The additional data binds the ciphertext to its tenant, its column and its row:
 * a sealed value copied to another row, column or tenant does not open.
 *
 * Format (one ASCII line, fits a TEXT column): `sb1.<key id>.<iv>.<ciphertext>.<tag>`, each part
 * base64url. The key id names the root secret (an HMAC of it, not the secret), so a box holding
 * an old and a new root secret opens both while a rotation runs.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'sb1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'oma secret-box v1';
/** Matches a sealed value's shape (not its validity): callers can tell sealed from legacy plaintext. */
const SEALED_PATTERN = /^sb1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/**
 * Where a sealed value lives. All three parts are bound into the ciphertext (GCM additional data),
 * so `open` must be given exactly what `seal` was given.
 */
export interface SealContext {
  /** The owning tenant: selects the tenant's key. */
  tenantId: string;
  /** `table.column` of a column registered in `SEALED_COLUMNS` (sealed-columns.ts). */
  field: string;
  /** The row's primary key (the registered id column's value). */
  rowId: string;
}

/** A sealed value did not open: wrong root secret, wrong context, or a damaged value. No plaintext in it. */
export class SecretBoxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretBoxError';
  }
}

/** The port: seal and open strings. Synchronous because sealing is local CPU work with no I/O. */
export interface SecretBox {
  /** Key id of the root secret new values are sealed under. */
  readonly keyId: string;
  /** Encrypts `plaintext` for `context`; returns the self-describing `sb1.…` string. */
  seal(context: SealContext, plaintext: string): string;
  /** Decrypts a value made by `seal` with the same context. Throws `SecretBoxError` when it does not open. */
  open(context: SealContext, sealed: string): string;
}

/** The key id of a root secret: a short HMAC of it, safe to store and print. */
export function rootKeyId(rootSecret: string): string {
  return createHmac('sha256', rootSecret).update('oma secret-box key id v1').digest().subarray(0, 6).toString('base64url');
}

/** Whether a stored value has the sealed format (it may still fail to open). */
export function isSealed(value: string): boolean {
  return SEALED_PATTERN.test(value);
}

class RootKey {
  readonly id: string;
  private readonly tenantKeys = new Map<string, Buffer>();

  constructor(private readonly secret: string) {
    this.id = rootKeyId(secret);
  }

  forTenant(tenantId: string): Buffer {
    let key = this.tenantKeys.get(tenantId);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.secret, HKDF_SALT, `tenant:${tenantId}`, 32));
      this.tenantKeys.set(tenantId, key);
    }
    return key;
  }
}

function additionalData(context: SealContext): Buffer {
  // Length-prefixed parts, so no choice of ids can make two contexts encode alike.
  return Buffer.from(JSON.stringify([VERSION, context.tenantId, context.field, context.rowId]), 'utf8');
}

/**
 * AES-256-GCM box over one current root secret and, during a rotation, older ones that it can
 * still open. Services get the server's one from the composition root (`Services.secretBox`).
 */
export class AesGcmSecretBox implements SecretBox {
  private readonly current: RootKey;
  private readonly keys = new Map<string, RootKey>();

  /** `rootSecret` seals; `olderSecrets` only open (used by rotate-root-secret). */
  constructor(rootSecret: string, olderSecrets: string[] = []) {
    this.current = new RootKey(rootSecret);
    for (const key of [this.current, ...olderSecrets.map((s) => new RootKey(s))]) {
      if (!this.keys.has(key.id)) this.keys.set(key.id, key);
    }
  }

  get keyId(): string {
    return this.current.id;
  }

  seal(context: SealContext, plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.forTenant(context.tenantId), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.current.id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(context: SealContext, sealed: string): string {
    if (!isSealed(sealed)) throw new SecretBoxError(`the value in ${context.field} of ${context.rowId} is not a sealed value (expected sb1.…)`);
    const [, keyId, iv, body, tag] = sealed.split('.') as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretBoxError(
        `${context.field} of ${context.rowId} was sealed under root key ${keyId}, but this server has ${this.current.id}: ` +
          'start it with the PLATFORM_ROOT_SECRET the data was written with',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.forTenant(context.tenantId), Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SecretBoxError(`${context.field} of ${context.rowId} does not open for tenant ${context.tenantId} (damaged, or moved from another row)`, { cause: err });
    }
  }
}
