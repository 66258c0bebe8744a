/**
 * Which IP addresses a URL document may be fetched from: public unicast only. Everything a
 * server-side request could abuse to reach the host itself, its private network or the cloud
 * metadata service (169.254.169.254) is refused, including the same addresses hidden inside IPv6
 * (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`). Ranges follow the IANA
 * special-purpose registries (RFC 6890 and its updates).
 */
import { formatIpAddress, inNetwork, parseIpAddress } from './ip-address.js';

/** Why an address is refused: the range it falls in and what that range is. */
export interface BlockedRange {
  cidr: string;
  label: string;
}

/** Decides one resolved or literal address; `undefined` means the address may be connected to. */
export type AddressPolicy = (address: string) => BlockedRange | undefined;

interface Range extends BlockedRange {
  network: Uint8Array;
  prefixLength: number;
  /** For IPv6 ranges that carry an IPv4 address: where its 4 bytes start. */
  embeddedIpv4At?: number;
}

function range(cidr: string, label: string, embeddedIpv4At?: number): Range {
  const [network, prefixLength] = cidr.split('/') as [string, string];
  return {
    cidr,
    label,
    network: parseIpAddress(network)!,
    prefixLength: Number(prefixLength),
    embeddedIpv4At,
  };
}

const IPV4_RANGES: readonly Range[] = [
  range('0.0.0.0/8', 'unspecified ("this network")'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'carrier-grade NAT (shared address space)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local (includes the cloud metadata service 169.254.169.254)'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'IETF protocol assignments'),
  range('192.0.2.0/24', 'documentation (TEST-NET-1)'),
  range('192.88.99.0/24', '6to4 relay anycast'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation (TEST-NET-2)'),
  range('203.0.113.0/24', 'documentation (TEST-NET-3)'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved (includes broadcast 255.255.255.255)'),
];

// Order matters: the first match names the range, and the ranges that embed an IPv4 address
// are judged by that address instead.
const IPV6_RANGES: readonly Range[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::ffff:0:0/96', 'IPv4-mapped', 12),
  range('::/96', 'IPv4-compatible (deprecated)'),
  range('64:ff9b::/96', 'NAT64', 12),
  range('64:ff9b:1::/48', 'local-use NAT64'),
  range('100::/64', 'discard-only'),
  range('2001::/32', 'Teredo tunnel'),
  range('2001:db8::/32', 'documentation'),
  range('2002::/16', '6to4', 2),
  range('fc00::/7', 'unique local'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local (deprecated)'),
  range('ff00::/8', 'multicast'),
];

const GLOBAL_UNICAST = range('2000::/3', 'global unicast');

/** The range that makes `address` off-limits, or `undefined` for a public address. */
export function findBlockedRange(address: string): BlockedRange | undefined {
  const bytes = parseIpAddress(address);
  if (!bytes) return { cidr: address, label: 'not an IP address' };
  return bytes.length === 4 ? blockedIpv4(bytes) : blockedIpv6(bytes);
}

export function isPublicAddress(address: string): boolean {
  return findBlockedRange(address) === undefined;
}

/** The policy for a fetch: everything is allowed when private networks are (tests, local use). */
export function addressPolicyFor(allowPrivateNetworks: boolean): AddressPolicy {
  return allowPrivateNetworks ? () => undefined : findBlockedRange;
}

function blockedIpv4(bytes: Uint8Array): BlockedRange | undefined {
  const match = IPV4_RANGES.find((candidate) => inNetwork(bytes, candidate.network, candidate.prefixLength));
  return match && { cidr: match.cidr, label: match.label };
}

function blockedIpv6(bytes: Uint8Array): BlockedRange | undefined {
  const match = IPV6_RANGES.find((candidate) => inNetwork(bytes, candidate.network, candidate.prefixLength));
  if (match?.embeddedIpv4At !== undefined) {
    const ipv4 = bytes.subarray(match.embeddedIpv4At, match.embeddedIpv4At + 4);
    const inner = blockedIpv4(ipv4);
    return (
      inner && { cidr: match.cidr, label: `${match.label} ${formatIpAddress(ipv4)}, which is ${inner.label}` }
    );
  }
  if (match) return { cidr: match.cidr, label: match.label };
  if (!inNetwork(bytes, GLOBAL_UNICAST.network, GLOBAL_UNICAST.prefixLength)) {
    return { cidr: '::/0 outside 2000::/3', label: 'not global unicast (reserved)' };
  }
  return undefined;
}
