/** The public-only address rule for URL documents, and the IP parsing under it. */
import { describe, expect, it } from 'vitest';
import { addressPolicyFor, findBlockedRange, isPublicAddress } from '../../src/documents/address-policy.js';
import { formatIpAddress, inNetwork, parseIpAddress } from '../../src/documents/ip-address.js';

describe('findBlockedRange', () => {
  it.each([
    ['0.0.0.0', '0.0.0.0/8'],
    ['0.255.255.255', '0.0.0.0/8'],
    ['10.1.2.3', '10.0.0.0/8'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['100.127.255.255', '100.64.0.0/10'],
    ['127.0.0.1', '127.0.0.0/8'],
    ['127.255.255.255', '127.0.0.0/8'],
    ['169.254.169.254', '169.254.0.0/16'],
    ['172.16.0.1', '172.16.0.0/12'],
    ['172.31.255.255', '172.16.0.0/12'],
    ['192.0.0.8', '192.0.0.0/24'],
    ['192.0.2.1', '192.0.2.0/24'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['198.18.0.1', '198.18.0.0/15'],
    ['224.0.0.1', '224.0.0.0/4'],
    ['239.255.255.250', '224.0.0.0/4'],
    ['240.0.0.1', '240.0.0.0/4'],
    ['255.255.255.255', '240.0.0.0/4'],
  ])('blocks IPv4 %s (%s)', (address, cidr) => {
    expect(findBlockedRange(address)?.cidr).toBe(cidr);
  });

  it.each([
    ['::', '::/128'],
    ['::1', '::1/128'],
    ['0:0:0:0:0:0:0:1', '::1/128'],
    ['fe80::1', 'fe80::/10'],
    ['fe80::1%eth0', 'fe80::/10'],
    ['febf:ffff::1', 'fe80::/10'],
    ['fc00::1', 'fc00::/7'],
    ['fd00::1', 'fc00::/7'],
    ['FD12:3456:789A::1', 'fc00::/7'],
    ['ff02::1', 'ff00::/8'],
    ['fec0::1', 'fec0::/10'],
    ['2001:db8::1', '2001:db8::/32'],
    ['::7f00:1', '::/96'],
    ['100::1', '100::/64'],
  ])('blocks IPv6 %s (%s)', (address, cidr) => {
    expect(findBlockedRange(address)?.cidr).toBe(cidr);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:c0a8:0101::1', 'private'],
  ])('judges the IPv4 address embedded in %s (%s)', (address, label) => {
    const blocked = findBlockedRange(address);
    expect(blocked).toBeDefined();
    expect(blocked?.label).toContain(label);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '192.169.0.1',
    '223.255.255.255',
    '11.0.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('allows the public address %s', (address) => {
    expect(findBlockedRange(address)).toBeUndefined();
    expect(isPublicAddress(address)).toBe(true);
  });

  it('refuses IPv6 outside global unicast and anything that is not an address', () => {
    expect(findBlockedRange('4000::1')?.label).toContain('not global unicast');
    expect(findBlockedRange('example.com')?.label).toBe('not an IP address');
    expect(findBlockedRange('256.0.0.1')?.label).toBe('not an IP address');
    expect(isPublicAddress('')).toBe(false);
  });

  it('lets everything through only when private networks are allowed', () => {
    expect(addressPolicyFor(true)('127.0.0.1')).toBeUndefined();
    expect(addressPolicyFor(false)('127.0.0.1')?.label).toBe('loopback');
    expect(addressPolicyFor(false)('8.8.8.8')).toBeUndefined();
  });
});

describe('parseIpAddress', () => {
  it('expands every IPv6 spelling to the same 16 bytes', () => {
    const expected = formatIpAddress(parseIpAddress('0:0:0:0:0:ffff:7f00:1')!);
    for (const spelling of ['::ffff:127.0.0.1', '::FFFF:7F00:1', '0::ffff:7f00:0001']) {
      expect(formatIpAddress(parseIpAddress(spelling)!)).toBe(expected);
    }
    expect(parseIpAddress('1::')?.[0]).toBe(0);
    expect(parseIpAddress('1::')?.[1]).toBe(1);
    expect(parseIpAddress('1::')?.length).toBe(16);
  });

  it('rejects what is not an address', () => {
    expect(parseIpAddress('1.2.3')).toBeUndefined();
    expect(parseIpAddress('::g')).toBeUndefined();
    expect(parseIpAddress('localhost')).toBeUndefined();
  });

  it('matches prefixes that end mid-byte', () => {
    const network = parseIpAddress('100.64.0.0')!;
    expect(inNetwork(parseIpAddress('100.127.1.1')!, network, 10)).toBe(true);
    expect(inNetwork(parseIpAddress('100.128.0.0')!, network, 10)).toBe(false);
    expect(inNetwork(parseIpAddress('::1')!, network, 10)).toBe(false);
  });
});
