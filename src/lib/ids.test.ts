import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { base58Digits, newId } from './ids.ts';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** The BigInt encoding ids used before (the reference the two-limb division must equal). */
function reference(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  return out;
}

describe('ids', () => {
  it('base58Digits gives the BigInt encoding of a 48-bit time value in 10 digits', () => {
    for (const bytes of [Buffer.alloc(6, 0), Buffer.alloc(6, 0xff), Buffer.from('000000000001', 'hex'), ...Array.from({ length: 500 }, () => randomBytes(6))]) {
      expect(base58Digits(bytes.readUIntBE(0, 6), 10)).toBe(reference(bytes, 10));
    }
  });

  it('newId: every base58 digit turns up at every random position', () => {
    const tails = Array.from({ length: 5000 }, () => newId('sevt').slice('sevt_01'.length + 10));
    for (let position = 0; position < 14; position++) {
      expect(new Set(tails.map((t) => t[position])).size).toBe(ALPHABET.length);
    }
  });

  // 1,000 ids: fewer than the 1,024 a millisecond's counter orders.
  it('newId: prefix, 26-character tail from 01, distinct, sorted in creation order', () => {
    const ids = Array.from({ length: 1000 }, () => newId('sevt'));
    for (const id of ids) expect(id).toMatch(/^sevt_01[1-9A-HJ-NP-Za-km-z]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});
