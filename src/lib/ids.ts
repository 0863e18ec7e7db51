/**
 * Object ids: a type prefix, "_", then a 26-character tail that starts with "01" and sorts by
 * creation time (48-bit millisecond timestamp + 80 random bits, base58). Clients must not parse them.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export type IdPrefix =
  | 'agent' | 'env' | 'sesn' | 'sevt' | 'sthr' | 'sesrsc' | 'vlt' | 'vcrd' | 'memstore' | 'mem'
  | 'memver' | 'file' | 'skill' | 'req' | 'apikey' | 'user' | 'tenant' | 'outc' | 'lease' | 'mdlcard' | 'invite'
  | 'whk' | 'event' | 'whdlv'
  | 'depl' | 'drun';

function encode(bytes: Buffer, length: number): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
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
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(now) * 1024n + BigInt(counter & 1023));
  return `${prefix}_01${encode(time.subarray(2), 10)}${encode(randomBytes(10), 14)}`;
}

/** The id port: where new object ids come from, passed in at the composition root. */
export interface IdSource {
  /** A new id such as `sesn_01…` (see newId). */
  next(prefix: IdPrefix): string;
}

/** Time-sorted random ids (newId). */
export const randomIds: IdSource = { next: newId };
