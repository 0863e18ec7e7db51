/**
 * Where model cards may send requests. A card's `base_url` is tenant input, so its host must be
 * public (SSRF: no cloud metadata address, no internal service), unless the operator lists it in
 * MODEL_CARD_ALLOWED_PRIVATE_HOSTS (a local Ollama or vLLM). IP literals are checked up front; host
 * names inside the connection's own DNS lookup (guarded-lookup.ts), so the address checked is the
 * address connected to. The server's own ANTHROPIC_BASE_URL is operator configuration and unguarded.
 */
import { lookup as dnsLookup } from 'node:dns';
import net from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { classifyAddress, describeRefusal } from './address-policy.ts';
import { guardedLookup } from './guarded-lookup.ts';

/** `*` allows every host; otherwise exact host names or IP addresses, case-insensitive. */
export type AllowedPrivateHosts = readonly string[];

const bare = (host: string): string => host.replace(/^\[|\]$/g, '').toLowerCase();

export function isPrivateHostAllowed(host: string, allowed: AllowedPrivateHosts): boolean {
  return allowed.includes('*') || allowed.some((entry) => bare(entry) === bare(host));
}

/**
 * Why `baseURL` may not be used by a card, or undefined when it may (as far as can be told before
 * resolving its host name): an IP literal that is not public and not allowed.
 */
export function refusedCardURL(baseURL: string, allowed: AllowedPrivateHosts): string | undefined {
  const host = bare(new URL(baseURL).hostname);
  if (!net.isIP(host) || isPrivateHostAllowed(host, allowed)) return undefined;
  const classification = classifyAddress(host);
  if (classification.isPublic) return undefined;
  return `${host} is ${describeRefusal(classification)}; model cards may reach private addresses only when the server lists them in MODEL_CARD_ALLOWED_PRIVATE_HOSTS`;
}

/** Raised before connecting when a card's URL is refused; mapped to a non-retryable model error. */
export class RefusedModelEndpointError extends Error {
  readonly code = 'EBLOCKED';
}

/** The refusal (of a private address) somewhere in an error's cause chain, if any. */
export function findRefusal(error: unknown): Error | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'EBLOCKED') return e;
  }
  return undefined;
}

type Lookup = typeof guardedLookup;

/** A fetch for model SDKs that connects only to public addresses or allowed hosts. */
export function createModelCardFetch(allowed: AllowedPrivateHosts): typeof fetch {
  const lookup: Lookup = (hostname, options, callback) => {
    if (!isPrivateHostAllowed(hostname, allowed)) return guardedLookup(hostname, options, callback);
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      if (options.all) return callback(null, addresses);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
  const dispatcher = new Agent({ connect: { lookup: lookup as unknown as net.LookupFunction } });
  return ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input.url;
    // Node never calls `lookup` for IP literals, so those are checked here.
    const refused = refusedCardURL(url, allowed);
    if (refused) return Promise.reject(new RefusedModelEndpointError(`Refused to connect: ${refused}.`));
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
  }) as unknown as typeof fetch;
}
