import { describe, expect, it } from 'vitest';
import { classifyAddress, isPublicAddress } from './address-policy.ts';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['192.175.48.1', 'public'], // AS112 is globally reachable.
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::808:808', 'public'], // NAT64 well-known prefix carrying 8.8.8.8.
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address).class).toBe(expected);
    expect(isPublicAddress(address)).toBe(true);
  });

  // Repro (issue #24, finding 8): the old guard counted ::7f00:1, ::ffff:0:a.b.c.d, 64:ff9b:1::/48 and
  // 2001::/32 as public.
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'carrier_grade_nat'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['172.20.0.1', 'private'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', 'reserved'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.251', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::7f00:1', 'loopback'], // IPv4-compatible ::127.0.0.1, the form URL parsing gives [::127.0.0.1].
    ['::127.0.0.1', 'loopback'],
    ['::8.8.8.8', 'reserved'], // IPv4-compatible addresses are deprecated, never public.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:0:127.0.0.1', 'loopback'], // SIIT (RFC 6145).
    ['::ffff:0:8.8.8.8', 'reserved'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['64:ff9b:1::a00:1', 'nat64_local'], // Local-use NAT64 (RFC 8215).
    ['2002:7f00:1::1', 'loopback'], // 6to4 carrying 127.0.0.1.
    ['2002:c0a8:101::1', 'private'],
    ['2002:808:808::1', 'tunnel'],
    ['2001::1', 'reserved'], // Teredo whose client address is 255.255.255.254.
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'documentation'], // RFC 4380's example client, 192.0.2.45.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo client 127.0.0.1 (inverted).
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'tunnel'], // Teredo client 8.8.8.8.
    ['2001:2::1', 'benchmarking'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['100::1', 'discard'],
    ['100:0:0:1::1', 'not_global_unicast'],
    ['5f00::1', 'reserved'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['fec0::1', 'site_local'],
    ['ff02::1', 'multicast'],
    ['4000::1', 'not_global_unicast'],
    ['not-an-ip', 'invalid'],
    ['0x7f.1', 'invalid'],
    ['2130706433', 'invalid'],
    ['', 'invalid'],
  ])('%s is %s, not public', (address, expected) => {
    const classification = classifyAddress(address);
    expect(classification.class).toBe(expected);
    expect(classification.isPublic).toBe(false);
  });

  it('names the IPv4 address an IPv6 form carries', () => {
    expect(classifyAddress('::ffff:0:10.1.2.3')).toMatchObject({ embeddedIpv4: '10.1.2.3', class: 'private' });
    expect(classifyAddress('2002:a01:203::')).toMatchObject({ embeddedIpv4: '10.1.2.3', range: '6to4' });
  });
});
