/**
 * SSRF address classification: the one place that decides whether an IP address is public, shared by
 * every server-side outbound connection (web_fetch, the vault proxy, MCP, webhooks). Ranges come from
 * ipaddr.js (IANA's IPv4 and IPv6 special-purpose registries); this module adds the policy on top: what
 * counts as public, and how IPv6 forms that carry an IPv4 address (mapped, compatible, SIIT, NAT64,
 * 6to4, Teredo) are judged. Anything this module cannot parse as a plain IP literal is not public.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Why an address is (not) public; `public` is the only class an outbound fetch may reach. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'carrier_grade_nat'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'unique_local'
  | 'site_local'
  | 'discard'
  | 'nat64_local'
  | 'tunnel'
  | 'benchmarking'
  | 'documentation'
  | 'not_global_unicast'
  | 'invalid';

export interface AddressClassification {
  /** The address as given (zone id removed). */
  address: string;
  class: AddressClass;
  /** The ipaddr.js range name that decided, or our own rule's name. */
  range: string;
  /** The IPv4 address carried by an IPv6 form, when that decided the class. */
  embeddedIpv4?: string;
  isPublic: boolean;
}

// IPv4 ranges ipaddr.js reports that remain globally reachable (IANA "Globally Reachable: True").
const PUBLIC_IPV4_RANGES = new Set(['unicast', 'as112', 'amt']);

const IPV4_CLASSES: Record<string, AddressClass> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link_local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier_grade_nat',
  private: 'private',
  reserved: 'reserved',
};

// IPv6: every special-purpose range is refused, including the globally reachable ones (AMT, AS112,
// ORCHIDv2): a server-side fetch has no business there, and refusing costs nothing real.
const IPV6_CLASSES: Record<string, AddressClass> = {
  unspecified: 'unspecified',
  linkLocal: 'link_local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique_local',
  deprecatedSiteLocal: 'site_local',
  discard: 'discard',
  benchmarking: 'benchmarking',
  amt: 'reserved',
  as112v6: 'reserved',
  deprecatedOrchid: 'reserved',
  orchid2: 'reserved',
  droneRemoteIdProtocolEntityTags: 'reserved',
  segmentRouting: 'reserved',
  reserved: 'reserved',
};

const DOCUMENTATION_IPV4 = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((c) => ipaddr.IPv4.parseCIDR(c));
const BENCHMARKING_IPV4 = ipaddr.IPv4.parseCIDR('198.18.0.0/15');
const DOCUMENTATION_IPV6 = ['2001:db8::/32', '3fff::/20'].map((c) => ipaddr.IPv6.parseCIDR(c));
const GLOBAL_UNICAST_IPV6 = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

function result(address: string, klass: AddressClass, range: string, embeddedIpv4?: string): AddressClassification {
  return { address, class: klass, range, isPublic: klass === 'public', ...(embeddedIpv4 ? { embeddedIpv4 } : {}) };
}

function classifyIpv4(address: string, parsed: ipaddr.IPv4): AddressClassification {
  const range = parsed.range();
  if (PUBLIC_IPV4_RANGES.has(range)) return result(address, 'public', range);
  if (DOCUMENTATION_IPV4.some((cidr) => parsed.match(cidr))) return result(address, 'documentation', range);
  if (parsed.match(BENCHMARKING_IPV4)) return result(address, 'benchmarking', range);
  return result(address, IPV4_CLASSES[range] ?? 'reserved', range);
}

/** The IPv4 in the low 32 bits of an IPv6 address. */
function low32(parsed: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = parsed.toByteArray();
  return new ipaddr.IPv4(bytes.slice(12, 16));
}

/**
 * An IPv6 form that carries an IPv4 address takes the IPv4 address's class when that is not public.
 * Only IPv4-mapped (::ffff:0:0/96) and the NAT64 well-known prefix (64:ff9b::/96) may then be public;
 * SIIT, IPv4-compatible, 6to4 and Teredo are tunnels or deprecated forms and are refused anyway.
 */
function classifyEmbedded(address: string, parsed: ipaddr.IPv6, range: string): AddressClassification | undefined {
  let carried: ipaddr.IPv4 | undefined;
  let mayBePublic = false;
  if (range === 'ipv4Mapped' || (range === 'rfc6052' && parsed.match(NAT64_WELL_KNOWN))) {
    carried = low32(parsed);
    mayBePublic = true;
  } else if (range === 'rfc6145' || (range === 'unicast' && parsed.match(IPV4_COMPATIBLE))) {
    carried = low32(parsed);
  } else if (range === '6to4') {
    const bytes = parsed.toByteArray();
    carried = new ipaddr.IPv4(bytes.slice(2, 6));
  } else if (range === 'teredo') {
    // The Teredo client's address is the low 32 bits, inverted (RFC 4380 §4).
    carried = new ipaddr.IPv4(low32(parsed).octets.map((octet) => ~octet & 0xff));
  } else if (range === 'rfc6052') {
    return result(address, 'nat64_local', range);
  } else {
    return undefined;
  }
  const inner = classifyIpv4(carried.toString(), carried);
  if (!inner.isPublic) return result(address, inner.class, range, inner.address);
  if (mayBePublic) return result(address, 'public', range, inner.address);
  return result(address, range === '6to4' || range === 'teredo' ? 'tunnel' : 'reserved', range, inner.address);
}

/**
 * ipaddr.js reads `::a.b.c.d` (IPv4-compatible) as `::ffff:a.b.c.d` (IPv4-mapped), so a trailing dotted
 * quad is rewritten as two hex groups before parsing.
 */
function parseIpv6(address: string): ipaddr.IPv6 {
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (!dotted) return ipaddr.IPv6.parse(address);
  const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
  return ipaddr.IPv6.parse(`${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
}

function classifyIpv6(address: string, parsed: ipaddr.IPv6): AddressClassification {
  const range = parsed.range();
  const embedded = classifyEmbedded(address, parsed, range);
  if (embedded) return embedded;
  if (DOCUMENTATION_IPV6.some((cidr) => parsed.match(cidr))) return result(address, 'documentation', range);
  const known = IPV6_CLASSES[range];
  if (known) return result(address, known, range);
  // Only 2000::/3 is allocated as global unicast; everything else is reserved by IANA.
  if (!parsed.match(GLOBAL_UNICAST_IPV6)) return result(address, 'not_global_unicast', range);
  return result(address, 'public', range);
}

/**
 * Classifies an IP literal (IPv4 dotted quad or IPv6, with or without brackets or a zone id).
 * Non-canonical IPv4 spellings (`0x7f.1`, `2130706433`) and host names are `invalid`: resolve names first
 * and classify each resolved address.
 */
export function classifyAddress(input: string): AddressClassification {
  const address = input.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = net.isIP(address);
  try {
    if (family === 4) return classifyIpv4(address, ipaddr.IPv4.parse(address));
    if (family === 6) return classifyIpv6(address, parseIpv6(address));
  } catch {
    // net.isIP and ipaddr.js disagreeing means the literal is unusual; refusing is the safe answer.
    return result(address, 'invalid', 'unparseable');
  }
  return result(address, 'invalid', 'not an IP literal');
}

/** True when `address` (an IP literal) is publicly routable under this policy. */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).isPublic;
}

/** A one-line reason for refusing an address, suitable for an error shown to a user or a model. */
export function describeRefusal(classification: AddressClassification): string {
  const via = classification.embeddedIpv4 ? ` (it carries the IPv4 address ${classification.embeddedIpv4})` : '';
  return `${classification.address} is a ${classification.class.replace(/_/g, '-')} address${via}, not a public one`;
}
