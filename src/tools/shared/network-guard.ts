/**
 * Keeps server-side fetches off private networks (SSRF). Every address a host name resolves to
 * must be public; the check runs inside the socket's own DNS lookup, so the address that is
 * checked is the address that is connected to (no rebinding between check and connect).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import net from 'node:net';

const PRIVATE_RANGES = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE_RANGES.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['100::', 64], ['2001:db8::', 32],
] as const) PRIVATE_RANGES.addSubnet(network, prefix, 'ipv6');

/** True when `address` (an IP literal) is publicly routable. IPv4 embedded in IPv6 is checked as IPv4. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return !PRIVATE_RANGES.check(address, 'ipv4');
  if (family !== 6) return false;
  const embedded = embeddedIpv4(address.toLowerCase());
  if (embedded !== undefined) return isPublicAddress(embedded);
  return !PRIVATE_RANGES.check(address, 'ipv6');
}

/** IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (hex) return hexPairToIpv4(hex[1], hex[2]);
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(address);
  if (sixToFour) return hexPairToIpv4(sixToFour[1], sixToFour[2]);
  return undefined;
}

function hexPairToIpv4(high: string, low: string): string {
  const a = parseInt(high, 16);
  const b = parseInt(low, 16);
  return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
}

/** Error raised when a destination is refused; its message is shown to the model. */
export class BlockedDestinationError extends Error {}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http(s).request that fails unless every resolved address is public. */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    if (blocked || addresses.length === 0) {
      const reason = blocked ? `resolves to the non-public address ${blocked.address}` : 'has no address';
      return callback(Object.assign(new BlockedDestinationError(`Refused to fetch from ${hostname}: it ${reason}.`), { code: 'EBLOCKED' }), []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}
