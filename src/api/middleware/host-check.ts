/**
 * DNS-rebinding and cross-site defence for every request, whatever the auth mode (issue #24, finding 1).
 * - Host: a browser sends the name in the page's URL, so a rebinding page sends its own name
 *   (`Host: attacker.example`). Only this server's names pass: loopback names, IP literals (a
 *   rebinding page cannot produce one: an IP literal in the URL is that address's own origin), the
 *   machine's host name, PUBLIC_URL's host and ALLOWED_HOSTS. Anything else is 421 before a route runs.
 * - Origin: a browser names the page's origin on every cross-origin request that could change state,
 *   so an unsafe method carrying an Origin that is not this server is 403. curl and the SDKs send no
 *   Origin and are unaffected; same-origin browser requests carry this server's own origin.
 */
import type { Context } from 'hono';
import net from 'node:net';
import { hostname as machineHostname } from 'node:os';
import { MisdirectedRequestError, PermissionError } from '../../errors.ts';

export interface HostCheckOptions {
  /** PUBLIC_URL: the origin browsers use when a proxy sits in front. */
  publicUrl?: string;
  /** ALLOWED_HOSTS: extra host names; `.example.com` also matches subdomains; `*` allows any Host. */
  allowedHosts: string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header value (`name:port`, `[v6]:port`), lower-cased, without the trailing dot. */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  const name = bracketed ? bracketed[1]! : host.replace(/:\d+$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * host[:port] of an origin or a Host value, lower-cased, with ports 80 and 443 dropped. Scheme-blind on
 * purpose: behind a TLS-terminating proxy the page is https and the hop to us is plain http.
 */
function authority(hostAndPort: string): string {
  return hostAndPort.toLowerCase().replace(/:(80|443)$/, '');
}

function originAuthority(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return authority(url.host);
  } catch {
    return undefined; // `null` and other opaque origins: never this server.
  }
}

/** Builds the predicate for Host names this server answers to. */
export function createHostMatcher(options: HostCheckOptions): (host: string) => boolean {
  const exact = new Set(['localhost', machineHostname().toLowerCase(), machineHostname().toLowerCase().split('.')[0]!]);
  const suffixes = ['.localhost'];
  if (options.publicUrl) exact.add(new URL(options.publicUrl).hostname.toLowerCase());
  let any = false;
  for (const entry of options.allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean)) {
    if (entry === '*') any = true;
    else if (entry.startsWith('.')) suffixes.push(entry);
    else exact.add(entry.replace(/\.$/, ''));
  }
  return (host) => {
    if (any) return true;
    const name = hostName(host);
    return net.isIP(name) !== 0 || exact.has(name) || suffixes.some((s) => name.endsWith(s) || name === s.slice(1));
  };
}

/** Builds the check: throws MisdirectedRequestError / PermissionError for a request that must not reach a route. */
export function createHostCheck(options: HostCheckOptions): (c: Context) => void {
  const isOurHost = createHostMatcher(options);
  const publicAuthority = options.publicUrl ? originAuthority(new URL(options.publicUrl).origin) : undefined;
  return (c) => {
    const host = c.req.header('host');
    // HTTP/1.0 clients may omit Host; browsers never do, so there is nothing to rebind.
    if (host !== undefined && !isOurHost(host)) {
      throw new MisdirectedRequestError(`this server does not answer to Host ${JSON.stringify(host)}: use its own address, or add the name to ALLOWED_HOSTS (or set PUBLIC_URL) if it is yours`);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && !SAFE_METHODS.has(c.req.method)) {
      const from = originAuthority(origin);
      if (from === undefined || (from !== (host === undefined ? undefined : authority(host)) && from !== publicAuthority)) {
        throw new PermissionError(`cross-site request refused: Origin ${origin} is not this server; a browser page may change state only from this server's own origin (set PUBLIC_URL if the server is behind a proxy)`);
      }
    }
  };
}
