/**
 * Which web pages may call the server: its own origin and CORS_ALLOWED_ORIGINS (`*`: any, only
 * when configured so). It decides the CORS answer in every mode; in local mode, where auth is
 * usually off, it also refuses requests and socket handshakes from any other origin with 403, so
 * a website the user happens to visit cannot drive the server on 127.0.0.1.
 *
 * The server's own origin:
 * - listening on loopback: `http://localhost|127.0.0.1|[::1]:<port>`, whatever the Host header
 *   says, so a DNS-rebound name (`evil.example` resolving to 127.0.0.1) is not "own";
 * - otherwise, or with TRUST_PROXY set: the scheme and host the request was addressed to, as a
 *   trusted reverse proxy forwards them (`X-Forwarded-Proto`, `X-Forwarded-Host`; fastify
 *   believes those only from peers TRUST_PROXY names).
 * Requests without an Origin header (CLI clients, curl) are not browsers on another site and
 * are let through, with one exception: a browser sends no Origin on a same-origin GET, so a
 * DNS-rebound page could read the API. So in local mode, listening on loopback without a proxy,
 * requests must also be addressed (`Host`) to a loopback name or to the host of a listed origin.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ServerConfig } from '../config/config.js';
import { FleetError } from '../contract/fleet-error.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const MAX_ECHOED_ORIGIN = 200;

export interface OriginPolicyOptions {
  server: Pick<ServerConfig, 'host' | 'corsOrigins' | 'trustProxy'>;
  /** Refuse foreign origins outright (local mode), not only withhold CORS headers. */
  enforce: boolean;
}

export type OriginDecision =
  | { kind: 'none' }
  | { kind: 'allowed'; origin: string }
  | { kind: 'refused'; origin: string; own: string[] };

export class OriginPolicy {
  private readonly anyOrigin: boolean;
  private readonly listed: Set<string>;
  private readonly listedHosts: Set<string>;
  private readonly loopback: boolean;
  private readonly behindProxy: boolean;

  constructor(private readonly options: OriginPolicyOptions) {
    const { corsOrigins, host, trustProxy } = options.server;
    this.anyOrigin = corsOrigins.includes('*');
    this.listed = new Set(corsOrigins.map((origin) => normalized(origin) ?? origin));
    this.listedHosts = new Set([...this.listed].map((origin) => hostnameOf(origin)).filter(Boolean));
    this.loopback = isLoopbackHost(host);
    this.behindProxy = Array.isArray(trustProxy) ? trustProxy.length > 0 : Boolean(trustProxy);
  }

  decide(request: FastifyRequest): OriginDecision {
    const header = request.headers.origin;
    if (header === undefined) return { kind: 'none' };
    const origin = normalized(header);
    if (this.anyOrigin) return { kind: 'allowed', origin: origin ?? header };
    const own = this.ownOrigins(request);
    if (origin !== undefined && (this.listed.has(origin) || own.includes(origin))) {
      return { kind: 'allowed', origin };
    }
    return { kind: 'refused', origin: header, own };
  }

  /** The `Access-Control-Allow-Origin` value for this request, or false for no CORS headers. */
  corsOrigin(request: FastifyRequest): string | false {
    if (this.anyOrigin) return '*';
    const decision = this.decide(request);
    return decision.kind === 'allowed' ? decision.origin : false;
  }

  /** Refuses a request (or a socket handshake) from a foreign origin, when enforcing. */
  hook(): onRequestAsyncHookHandler {
    return async (request) => {
      if (!this.options.enforce) return;
      if (!this.hostAllowed(request.headers.host)) {
        const host = String(request.headers.host).slice(0, MAX_ECHOED_ORIGIN);
        throw new FleetError(
          'host_not_allowed',
          `this server listens on loopback and answers requests addressed to localhost, 127.0.0.1 or [::1], not to '${host}' ` +
            '(a page on a DNS-rebound name); if that name is your own for this machine, add its origin to CORS_ALLOWED_ORIGINS',
        );
      }
      const decision = this.decide(request);
      if (decision.kind !== 'refused') return;
      const origin = decision.origin.slice(0, MAX_ECHOED_ORIGIN);
      throw new FleetError(
        'origin_not_allowed',
        `a web page at '${origin}' may not call this server: in local mode only its own origin` +
          `${decision.own[0] ? ` (${decision.own[0]})` : ''} and CORS_ALLOWED_ORIGINS are let in; ` +
          'if that page is yours, add its origin to CORS_ALLOWED_ORIGINS',
      );
    };
  }

  private hostAllowed(host: string | undefined): boolean {
    if (!this.loopback || this.behindProxy || this.anyOrigin || !host) return true;
    const name = hostnameOf(`http://${host}`);
    return (
      name !== '' &&
      (LOOPBACK_NAMES.includes(name) || /^127\.\d+\.\d+\.\d+$/.test(name) || this.listedHosts.has(name))
    );
  }

  private ownOrigins(request: FastifyRequest): string[] {
    const own: string[] = [];
    if (this.behindProxy || !this.loopback) {
      const addressed = normalized(`${request.protocol}://${request.host}`);
      if (addressed) own.push(addressed);
    }
    const port = request.socket?.localPort;
    if (this.loopback && port !== undefined) {
      for (const name of LOOPBACK_NAMES) own.push(normalized(`http://${name}:${port}`)!);
    }
    return own;
  }
}

/** `scheme://host[:port]` as the URL standard serialises it (lower case, default port dropped). */
function normalized(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The host name of a URL (IPv6 in brackets), or '' when it does not parse. */
function hostnameOf(value: string): string {
  try {
    return new URL(value).hostname;
  } catch {
    return '';
  }
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}
