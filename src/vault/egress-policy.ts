/**
 * Where vault traffic may go: public addresses (src/net/address-policy.ts) plus the operator's
 * exceptions in VAULT_ALLOWED_PRIVATE_HOSTS (host names, IP addresses or CIDRs). A destination is
 * resolved once here, every address is checked, and the caller connects to the address that was
 * checked, so DNS cannot rebind between check and connect.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import { classifyAddress, describeRefusal } from '../net/address-policy.ts';
import { BlockedDestinationError } from '../net/guarded-lookup.ts';

export interface ResolvedDestination {
  /** The host name as asked for (lower case, no brackets). */
  host: string;
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
}

export class EgressPolicy {
  private readonly names = new Set<string>();
  private readonly ranges = new net.BlockList();

  /** `allowedPrivate`: entries of VAULT_ALLOWED_PRIVATE_HOSTS (validated by config/load.ts). */
  constructor(allowedPrivate: readonly string[]) {
    for (const raw of allowedPrivate) {
      const entry = raw.trim().toLowerCase();
      const [network, bits] = entry.split('/');
      const family = net.isIP(network ?? '');
      if (family && bits !== undefined) this.ranges.addSubnet(network!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
      else if (family) this.ranges.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6');
      else this.names.add(entry);
    }
  }

  /** Whether `address` may be reached when asked for as `host`. */
  allows(host: string, address: string): boolean {
    if (classifyAddress(address).isPublic) return true;
    if (this.names.has(host.toLowerCase())) return true;
    const family = net.isIP(address);
    return family !== 0 && this.ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * Resolves `hostname` and returns the first address, after checking all of them. Throws
   * BlockedDestinationError (message names the host and why) when any address is refused.
   */
  async resolve(hostname: string): Promise<ResolvedDestination> {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const literal = net.isIP(host);
    const addresses = literal ? [{ address: host, family: literal }] : await dnsLookup(host, { all: true, verbatim: true });
    if (addresses.length === 0) throw new BlockedDestinationError(`Refused to connect to ${host}: it has no address.`);
    for (const { address } of addresses) {
      if (!this.allows(host, address)) {
        throw new BlockedDestinationError(
          `Refused to connect to ${host}: it resolves to ${describeRefusal(classifyAddress(address))}. ` +
            'An operator can allow it with VAULT_ALLOWED_PRIVATE_HOSTS.',
        );
      }
    }
    const first = addresses[0]!;
    return { host, address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
