import { describe, expect, it } from 'vitest';
import { AesGcmSecretBox, SecretBoxError, isSealed, rootKeyId, type SealContext } from './secret-box.ts';

const ROOT = 'root-secret-for-tests-0123456789';
const OTHER_ROOT = 'another-root-secret-9876543210';
const ctx: SealContext = { tenantId: 'tenant_a', field: 'vault_credentials.secret', rowId: 'vcrd_1' };

describe('AesGcmSecretBox', () => {
  it('opens what it sealed, and the sealed string is a compact ASCII line without the plaintext', () => {
    const box = new AesGcmSecretBox(ROOT);
    const sealed = box.seal(ctx, 'ghp_supersecret ünïcode');
    expect(sealed).toMatch(/^sb1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('supersecret');
    expect(sealed.split('.')[1]).toBe(box.keyId);
    expect(box.open(ctx, sealed)).toBe('ghp_supersecret ünïcode');
    expect(box.open(ctx, box.seal(ctx, ''))).toBe('');
  });

  it('uses a fresh IV per seal, so equal plaintexts give different ciphertexts', () => {
    const box = new AesGcmSecretBox(ROOT);
    expect(box.seal(ctx, 'same')).not.toBe(box.seal(ctx, 'same'));
  });

  it('refuses a value moved to another tenant, column or row', () => {
    const box = new AesGcmSecretBox(ROOT);
    const sealed = box.seal(ctx, 'token');
    for (const moved of [{ ...ctx, tenantId: 'tenant_b' }, { ...ctx, field: 'model_cards.api_key' }, { ...ctx, rowId: 'vcrd_2' }]) {
      expect(() => box.open(moved, sealed)).toThrow(SecretBoxError);
    }
  });

  it('derives distinct keys per tenant: the same plaintext under two tenants does not cross-open even with matching ids', () => {
    const box = new AesGcmSecretBox(ROOT);
    const a = box.seal({ ...ctx, tenantId: 'a' }, 'x');
    // Tenant-scoped keys: also a tampered context cannot be forged because the key differs.
    expect(() => box.open({ ...ctx, tenantId: 'b' }, a)).toThrow(/does not open/);
  });

  it('refuses a tampered ciphertext or tag', () => {
    const box = new AesGcmSecretBox(ROOT);
    const parts = box.seal(ctx, 'token').split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const i of [2, 3, 4]) {
      const tampered = parts.map((p, j) => (j === i ? flip(p) : p)).join('.');
      expect(() => box.open(ctx, tampered)).toThrow(SecretBoxError);
    }
  });

  it('names the key id when the value was sealed under another root secret, without any plaintext', () => {
    const sealed = new AesGcmSecretBox(OTHER_ROOT).seal(ctx, 'hunter2');
    let error: unknown;
    try {
      new AesGcmSecretBox(ROOT).open(ctx, sealed);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SecretBoxError);
    expect((error as Error).message).toContain(rootKeyId(OTHER_ROOT));
    expect((error as Error).message).toContain('PLATFORM_ROOT_SECRET');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('opens values of an older root secret it was given, and seals only under the current one (rotation)', () => {
    const old = new AesGcmSecretBox(OTHER_ROOT).seal(ctx, 'rotated');
    const box = new AesGcmSecretBox(ROOT, [OTHER_ROOT]);
    expect(box.open(ctx, old)).toBe('rotated');
    const resealed = box.seal(ctx, 'rotated');
    expect(resealed.split('.')[1]).toBe(rootKeyId(ROOT));
    expect(new AesGcmSecretBox(ROOT).open(ctx, resealed)).toBe('rotated');
  });

  it('tells sealed values from other strings', () => {
    expect(isSealed(new AesGcmSecretBox(ROOT).seal(ctx, 'v'))).toBe(true);
    for (const v of ['', 'plain token', 'sb1.abc', 'sb2.a.b.c.d', 'sb1.a.b.c.d.e']) expect(isSealed(v)).toBe(false);
    expect(() => new AesGcmSecretBox(ROOT).open(ctx, 'plain token')).toThrow(/not a sealed value/);
  });

  it('gives a stable key id that is not the secret', () => {
    expect(rootKeyId(ROOT)).toBe(rootKeyId(ROOT));
    expect(rootKeyId(ROOT)).not.toBe(rootKeyId(OTHER_ROOT));
    expect(rootKeyId(ROOT)).not.toContain(ROOT.slice(0, 6));
  });
});
