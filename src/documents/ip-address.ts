/**
 * IP address text to bytes (4 for IPv4, 16 for IPv6) and CIDR matching over those bytes, so the
 * address policy can compare any written form (`::ffff:127.0.0.1`, `::FFFF:7f00:1`, `fe80::1%eth0`)
 * against the same ranges. Validation is `node:net`'s; this file only expands what it accepts.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function parseIpAddress(text: string): Uint8Array | undefined {
  // A zone index (`%eth0`) names an interface, not part of the address.
  const address = text.replace(/%.*$/, '');
  if (isIPv4(address)) return new Uint8Array(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;

  let words = address;
  // A trailing dotted quad (`::ffff:1.2.3.4`) stands for the last two 16-bit words.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(words);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    words = `${words.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = words.split('::');
  const headWords = head === '' ? [] : head.split(':');
  const tailWords = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headWords.length - tailWords.length;
  const all = [...headWords, ...Array<string>(zeros).fill('0'), ...tailWords];
  const bytes = new Uint8Array(16);
  all.forEach((word, index) => {
    const value = Number.parseInt(word, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** Whether `address` (4 or 16 bytes) lies in `network`/`prefixLength` of the same family. */
export function inNetwork(address: Uint8Array, network: Uint8Array, prefixLength: number): boolean {
  if (address.length !== network.length) return false;
  for (let bit = 0; bit < prefixLength; bit += 8) {
    const remaining = prefixLength - bit;
    const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
    const index = bit / 8;
    if ((address[index]! & mask) !== (network[index]! & mask)) return false;
  }
  return true;
}

/** Canonical text of 4 or 16 address bytes (IPv6 without `::` compression: for messages only). */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const words: string[] = [];
  for (let index = 0; index < 16; index += 2)
    words.push(((bytes[index]! << 8) | bytes[index + 1]!).toString(16));
  return words.join(':');
}
