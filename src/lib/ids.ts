/**
 * Object ids: a type prefix, "_", then a 26-character tail that starts with "01" and sorts by
 * creation time: 10 base58 digits of a 48-bit time (milliseconds·1024 + a counter), then 14 random
 * base58 digits (about 82 bits from the CSPRNG). Clients must not parse them.
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export type IdPrefix =
  | 'agent' | 'env' | 'sesn' | 'sevt' | 'sthr' | 'sesrsc' | 'vlt' | 'vcrd' | 'memstore' | 'mem'
  | 'memver' | 'file' | 'skill' | 'req' | 'apikey' | 'user' | 'tenant' | 'outc' | 'lease' | 'mdlcard' | 'invite'
  | 'whk' | 'event' | 'whdlv'
  | 'depl' | 'drun';

const TWO_48 = 2 ** 48;

/** The lowest `length` base58 digits of `value` (an integer below 2⁵³, so every step is exact), most significant first. */
export function base58Digits(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const digit = value % 58;
    value = (value - digit) / 58;
    out = ALPHABET[digit]! + out;
  }
  return out;
}

/** Random bytes drawn from the CSPRNG a pool at a time (one call per ~260 ids, not one per id). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/**
 * `length` uniformly random base58 digits: a pooled byte below 232 (4·58) is one digit (its value
 * mod 58), a byte above is skipped, so no digit is likelier than another.
 */
function randomDigits(length: number): string {
  let out = '';
  while (out.length < length) {
    if (poolOffset === pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const byte = pool[poolOffset++]!;
    if (byte < 232) out += ALPHABET[byte % 58]!;
  }
  return out;
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
  return `${prefix}_01${base58Digits(time, 10)}${randomDigits(14)}`;
}

/** The id port: where new object ids come from, passed in at the composition root. */
export interface IdSource {
  /** A new id such as `sesn_01…` (see newId). */
  next(prefix: IdPrefix): string;
}

/** Time-sorted random ids (newId). */
export const randomIds: IdSource = { next: newId };
