/**
 * Where the server's clone may connect (SSRF rule of src/net/address-policy.ts): the repository's
 * host must resolve only to public addresses unless GIT_ALLOWED_PRIVATE_HOSTS lists it. The address
 * checked here is the one git connects to: the clone pins it with `http.curloptResolve`, and the
 * preflight request uses it directly, so a DNS answer that changes in between is not followed.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { classifyAddress, describeRefusal } from '../net/address-policy.ts';
import { isPrivateHostAllowed } from '../net/model-egress.ts';

export interface GitDestination {
  host: string;
  port: number;
  /** The address connected to. */
  address: string;
  family: 4 | 6;
}

/** A destination refused by the private-address rule; the message names the host and why. */
export class RefusedGitHostError extends Error {}

const bare = (host: string): string => host.replace(/^\[|\]$/g, '');

export async function resolveGitDestination(url: URL, allowedPrivateHosts: readonly string[]): Promise<GitDestination> {
  const host = bare(url.hostname);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const allowed = isPrivateHostAllowed(host, allowedPrivateHosts);
  const addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await lookup(host, { all: true });
  if (addresses.length === 0) throw new RefusedGitHostError(`${host} has no address`);
  if (!allowed) {
    const blocked = addresses.map((a) => classifyAddress(a.address)).find((c) => !c.isPublic);
    if (blocked) throw new RefusedGitHostError(`Refused to clone from ${host} (${describeRefusal(blocked)}); the server lists hosts it may clone from although private in GIT_ALLOWED_PRIVATE_HOSTS`);
  }
  const first = addresses[0]!;
  return { host, port, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** The `http.curloptResolve` entry pinning `host:port` to the checked address. */
export function curlResolveEntry(destination: GitDestination): string {
  const address = destination.family === 6 ? `[${destination.address}]` : destination.address;
  return `${destination.host}:${destination.port}:${address}`;
}
