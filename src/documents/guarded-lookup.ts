/**
 * The DNS lookup that node:http uses to connect for a URL document. It resolves the host and
 * refuses the connection when ANY resolved address is blocked, so the address checked is the
 * address connected to: there is no second resolution an attacker could answer differently
 * (DNS rebinding). Literal IP hosts never reach a lookup; `fetch-url.ts` checks those itself.
 */
import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import type { AddressPolicy } from './address-policy.js';
import { DocumentError } from './document-error.js';

/** Resolves a host name to every address it has (the production one is `dns.lookup`). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const resolveWithSystemDns: ResolveHost = (hostname) =>
  dns.lookup(hostname, { all: true, verbatim: true });

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The shape of the `lookup` option of `net.connect` (and so of `http.request`). */
export type GuardedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

const FAMILIES: Record<string, number> = { IPv4: 4, IPv6: 6, '4': 4, '6': 6 };

export function createGuardedLookup(policy: AddressPolicy, resolveHost: ResolveHost): GuardedLookup {
  return (hostname, options, callback) => {
    const family = FAMILIES[String(options.family)];
    resolveHost(hostname).then(
      (resolved) => {
        const addresses = family ? resolved.filter((entry) => entry.family === family) : resolved;
        const first = addresses[0];
        if (!first) {
          callback(
            new DocumentError('fetch_failed', `Could not resolve host '${hostname}': it has no address.`),
            '',
          );
          return;
        }
        // Every address, not just the first: with happy eyeballs node may connect to any of them.
        for (const { address } of addresses) {
          const blocked = policy(address);
          if (blocked) {
            callback(blockedAddressError(hostname, address, blocked.label, blocked.cidr), '');
            return;
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, ''),
    );
  };
}

export function blockedAddressError(
  host: string,
  address: string,
  label: string,
  cidr: string,
): DocumentError {
  const where = host === address ? address : `'${host}' (resolves to ${address})`;
  return new DocumentError(
    'blocked_address',
    `Refused to fetch from ${where}: the address is ${label} (${cidr}). URL documents may only come ` +
      'from public internet addresses; upload the file instead, or for local testing only set ' +
      'FLEET_URL_DOCUMENT_ALLOW_PRIVATE=true.',
  );
}
