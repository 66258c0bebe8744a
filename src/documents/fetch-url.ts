/**
 * Fetching a URL document safely from the server (the SSRF boundary). Only http and https; every
 * hop's host is checked against the address policy on the address actually connected to (see
 * `guarded-lookup.ts`; literal IPs are checked here, since node never looks them up); redirects
 * are followed by hand, at most `urlMaxRedirects`, each one a new hop checked from scratch.
 * Per-hop time and size limits live in `http-get.ts`.
 */
import type { DocumentsConfig } from '../config/config.js';
import { type AddressPolicy, addressPolicyFor } from './address-policy.js';
import { DocumentError } from './document-error.js';
import {
  blockedAddressError,
  createGuardedLookup,
  type ResolveHost,
  resolveWithSystemDns,
} from './guarded-lookup.js';
import { httpGet } from './http-get.js';
import { parseIpAddress } from './ip-address.js';

export interface FetchedUrl {
  bytes: Uint8Array;
  /** The Content-Type of the final response, without parameters, when the server sent one. */
  mimeType?: string;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
}

/**
 * Seams for tests: a resolver standing in for DNS, and a policy standing in for the public-only
 * rule (e.g. "127.0.0.1 counts as public, everything else as usual"). Production passes neither.
 */
export interface NetworkSeams {
  resolveHost?: ResolveHost;
  addressPolicy?: AddressPolicy;
}

export async function fetchUrl(
  url: string,
  limits: DocumentsConfig,
  signal?: AbortSignal,
  seams: NetworkSeams = {},
): Promise<FetchedUrl> {
  const policy = seams.addressPolicy ?? addressPolicyFor(limits.urlAllowPrivateNetworks);
  const lookup = createGuardedLookup(policy, seams.resolveHost ?? resolveWithSystemDns);
  let current = parseHttpUrl(url);
  for (let redirects = 0; ; redirects++) {
    checkLiteralHost(current, policy);
    const hop = await httpGet(current, { limits, lookup, signal });
    if (hop.kind === 'body') return { bytes: hop.bytes, mimeType: hop.mimeType, finalUrl: current.href };
    if (redirects >= limits.urlMaxRedirects) {
      throw new DocumentError(
        'too_many_redirects',
        `${url} redirected more than ${limits.urlMaxRedirects} times (FLEET_URL_DOCUMENT_MAX_REDIRECTS); ` +
          'open it in a browser to find where it ends and use that URL.',
      );
    }
    // Location may be relative; it resolves against the URL that sent it (RFC 9110 §10.2.2).
    current = parseHttpUrl(hop.location, current);
  }
}

function parseHttpUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new DocumentError(
      'invalid_url',
      `${base ? `${base.href} redirected to '${text}', which` : `'${text}'`} is not a valid URL; ` +
        'give a full http:// or https:// address.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const where = base ? `${base.href} redirected to ${url.href}, but only` : 'Only';
    throw new DocumentError(
      'invalid_url',
      `${where} http:// and https:// URLs can be loaded, not ${url.protocol}; upload the file instead.`,
    );
  }
  if (url.username || url.password) {
    throw new DocumentError(
      'invalid_url',
      `${url.host} URLs with a user name or password are not fetched (credentials would leave the ` +
        'server); download the document yourself and upload it.',
    );
  }
  return url;
}

/** node connects to a literal IP without any lookup, so the guarded lookup never sees it. */
function checkLiteralHost(url: URL, policy: AddressPolicy): void {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!parseIpAddress(host)) return;
  const blocked = policy(host);
  if (blocked) throw blockedAddressError(host, host, blocked.label, blocked.cidr);
}
