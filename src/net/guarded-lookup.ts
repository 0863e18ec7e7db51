/**
 * Keeps server-side connections off private networks (SSRF). Every address a host name resolves to
 * must be public under `address-policy.ts`; the check runs inside the socket's own DNS lookup, so the
 * address that is checked is the address that is connected to (no rebinding between check and connect).
 * Node skips `lookup` for IP literals, so callers check literals with `assertPublicLiteral` first.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import net from 'node:net';
import { classifyAddress, describeRefusal } from './address-policy.ts';

/** Raised when a destination is refused; its message names the address and why, and may be shown to a model. */
export class BlockedDestinationError extends Error {
  readonly code = 'EBLOCKED';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http(s).request / net.connect that fails unless every resolved address is public. */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const blocked = addresses.map((entry) => classifyAddress(entry.address)).find((c) => !c.isPublic);
    if (blocked || addresses.length === 0) {
      const reason = blocked ? `it resolves to ${describeRefusal(blocked)}` : 'it has no address';
      return callback(new BlockedDestinationError(`Refused to connect to ${hostname}: ${reason}.`), []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/**
 * Throws BlockedDestinationError when `hostname` (a URL's hostname, brackets allowed) is an IP literal
 * that is not public. Host names pass: `guardedLookup` checks what they resolve to.
 */
export function assertPublicLiteral(hostname: string): void {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (!net.isIP(bare.replace(/%.*$/, ''))) return;
  const classification = classifyAddress(bare);
  if (!classification.isPublic) throw new BlockedDestinationError(`Refused to connect to ${hostname}: ${describeRefusal(classification)}.`);
}
