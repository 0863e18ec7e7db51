/**
 * Object ids: a type prefix, "_", then a 26-character tail that starts with "01" and sorts by
 * creation time (48-bit millisecond timestamp + 80 random bits, base58). Clients must not parse them.
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export type IdPrefix =
  | 'agent' | 'env' | 'sesn' | 'sevt' | 'sthr' | 'sesrsc' | 'vlt' | 'vcrd' | 'memstore' | 'mem'
  | 'memver' | 'file' | 'skill' | 'req' | 'apikey' | 'user' | 'tenant' | 'outc' | 'lease' | 'mdlcard' | 'invite'
  | 'whk' | 'event' | 'whdlv'
  | 'depl' | 'drun';

const TWO_40 = 2 ** 40;
const TWO_48 = 2 ** 48;

/**
 * The lowest `length` base58 digits of the 80-bit number hi·2⁴⁰ + lo (hi, lo < 2⁴⁰), most
 * significant first. Long division on two 40-bit limbs, so every intermediate stays an exact
 * double (rem·2⁴⁰ + lo < 58·2⁴⁰ < 2⁵³): the same digits as BigInt division, without BigInt.
 */
export function base58Digits(hi: number, lo: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const rem = hi % 58;
    hi = (hi - rem) / 58;
    const low = rem * TWO_40 + lo;
    const digit = low % 58;
    lo = (low - digit) / 58;
    out = ALPHABET[digit]! + out;
  }
  return out;
}

/** Random bytes drawn from the CSPRNG a pool at a time (one call per 409 ids, not one per id). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function random40(): number {
  if (poolOffset + 5 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const value = pool.readUIntBE(poolOffset, 5);
  poolOffset += 5;
  return value;
}

let lastMs = 0;
let counter = 0;

/** Creates a new id such as `sesn_01…`. Ids made in the same process sort in creation order. */
export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  counter = now === lastMs ? counter + 1 : 0;
  lastMs = now;
  // The low 48 bits of ms·1024 + counter (exact as a double until the year 2248).
  const time = (now * 1024 + (counter & 1023)) % TWO_48;
  return `${prefix}_01${base58Digits(Math.floor(time / TWO_40), time % TWO_40, 10)}${base58Digits(random40(), random40(), 14)}`;
}

/** The id port: where new object ids come from, passed in at the composition root. */
export interface IdSource {
  /** A new id such as `sesn_01…` (see newId). */
  next(prefix: IdPrefix): string;
}

/** Time-sorted random ids (newId). */
export const randomIds: IdSource = { next: newId };
