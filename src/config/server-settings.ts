/**
 * The server's own settings: HTTP and its edges (origins, proxies, the metrics token), auth and
 * admins, and the database. Defaults are safe for a single local user; `deployment-checks.ts`
 * refuses local-only shortcuts outside APP_ENV=local.
 */
import { isIP } from 'node:net';
import { bool, choice, custom, int, list, port, splitList, text } from './env-values.js';
import { section, setting } from './setting.js';

const MB = 1024 * 1024;
export const DEFAULT_DEV_JWT_SECRET = 'change-me';
/** A scrape token shorter than this is guessable. */
const MIN_METRICS_TOKEN_LENGTH = 16;
/** Identity characters (as `server/auth/identity-claims.ts` allows them). */
const IDENTITY_PART = '[A-Za-z0-9._@:-]+';
const ADMIN_ENTRY = new RegExp(`^${IDENTITY_PART}(?:/${IDENTITY_PART})?$`);
const PROXY_ADDRESS_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const SWITCH = /^(true|false|yes|no|on|off)$/i;

/** `scheme://host[:port]` per entry (as browsers send `Origin`), or `*`; one problem per bad entry. */
const origins = custom<string[]>(
  (value, problem) => {
    const found: string[] = [];
    for (const entry of splitList(value)) {
      if (entry === '*') {
        found.push(entry);
        continue;
      }
      const url = parseUrl(entry);
      if (
        !url ||
        !['http:', 'https:'].includes(url.protocol) ||
        url.pathname !== '/' ||
        url.search ||
        url.hash
      ) {
        problem(
          `entries must be origins like https://app.example.com or http://localhost:5173 (no path), or *; got '${entry}'`,
        );
        continue;
      }
      found.push(url.origin);
    }
    return [...new Set(found)];
  },
  'http://localhost:5173',
  { describe: (value) => (value.length === 0 ? 'none' : `\`${value.join(',')}\``) },
);

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A switch, a hop count (fastify's meaning: 1 trusts one proxy, not "true"), or proxy addresses. */
const trustProxy = custom<boolean | number | string[]>((value, problem) => {
  if (SWITCH.test(value)) return /^(true|yes|on)$/i.test(value);
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = splitList(value);
  const bad = addresses.filter((entry) => {
    if (PROXY_ADDRESS_NAMES.includes(entry)) return false;
    const [address = '', prefix, extra] = entry.split('/');
    return isIP(address) === 0 || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix));
  });
  if (bad.length > 0) {
    problem(
      `must be true, false, a hop count, or proxy addresses (IPs, CIDRs, loopback, linklocal, uniquelocal); got '${bad.join(', ')}'`,
    );
  }
  return addresses;
}, 'loopback');

const metricsToken = custom<string>((value, problem) => {
  if (value.length < MIN_METRICS_TOKEN_LENGTH) {
    problem(`must be at least ${MIN_METRICS_TOKEN_LENGTH} characters (a long random value)`);
  }
  return value;
}, 'a-long-random-scrape-token');

export const serverSettings = section('Server', {
  host: setting({ env: 'FLEET_HOST', value: text(), default: '127.0.0.1', doc: 'interface to listen on' }),
  port: setting({
    env: 'FLEET_PORT',
    value: port(),
    default: 8000,
    doc: 'port to listen on (`0`: any free one)',
  }),
  /**
   * Origins (besides the server's own) allowed to call it from a browser: CORS, and in local
   * mode the only foreign origins let in at all. Normalised (`scheme://host[:port]`); `*` allows
   * any (local only, and only when set explicitly).
   */
  corsOrigins: setting({
    env: 'CORS_ALLOWED_ORIGINS',
    value: origins,
    // No cross-origin caller by default, in local mode too: same-origin pages need no CORS.
    default: [],
    doc: "web origins besides the server's own, e.g. `http://localhost:5173`; `*` any (local only)",
  }),
  /**
   * Fastify `trustProxy`: which peers' X-Forwarded-Host/-Proto/-For are believed (the server's
   * own origin is then the forwarded one). `false` (default), `true`, a hop count, or addresses.
   */
  trustProxy: setting({
    env: 'TRUST_PROXY',
    value: trustProxy,
    default: false,
    doc: 'believe `X-Forwarded-*` from: `true` (any peer), a hop count, or proxy IPs/CIDRs',
  }),
  /** When set, `GET /metrics` needs `Authorization: Bearer <metricsToken>`. */
  metricsToken: setting({
    env: 'METRICS_TOKEN',
    value: metricsToken,
    secret: true,
    doc: '`/metrics` needs `Authorization: Bearer <it>` (16+ characters)',
  }),
  /** Largest WebSocket frame or JSON body accepted, in bytes. */
  maxFrameBytes: setting({
    env: 'WS_MAX_FRAME_BYTES',
    value: int(1024, { bytes: true }),
    default: 1 * MB,
    doc: 'largest WebSocket frame or JSON body accepted',
  }),
  maxUploadBytes: setting({
    env: 'FLEET_UPLOAD_MAX_BYTES',
    value: int(1024, { bytes: true }),
    default: 50 * MB,
    doc: 'largest uploaded document',
  }),
  /** Client frames a socket may send per second (bursts of twice that). */
  maxFramesPerSecond: setting({
    env: 'WS_MAX_FRAMES_PER_SECOND',
    value: int(1),
    default: 50,
    doc: 'client frames a socket may send per second (bursts of twice that)',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    value: choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    default: 'info',
    doc: 'request log level',
  }),
});

export const authSettings = section('Auth', {
  required: setting({
    env: 'AUTH_REQUIRED',
    value: bool(),
    default: false,
    doc: 'refuse requests without a valid token',
  }),
  devJwtSecret: setting({
    env: 'DEV_JWT_SECRET',
    value: text(),
    default: DEFAULT_DEV_JWT_SECRET,
    secret: true,
    doc: 'HS256 secret of dev tokens (`fleet-rlm token`); must be changed outside local',
  }),
  jwksUrl: setting({
    env: 'AUTH_JWKS_URL',
    aliases: ['ENTRA_JWKS_URL'],
    value: text(),
    doc: 'verify RS256 tokens with this JWKS instead of the dev secret',
  }),
  audience: setting({
    env: 'AUTH_AUDIENCE',
    aliases: ['ENTRA_AUDIENCE'],
    value: text(),
    doc: 'required token audience',
  }),
  issuer: setting({
    env: 'AUTH_ISSUER',
    value: text(),
    doc: "required token issuer (`{tenantid}` is replaced with the token's `tid`)",
  }),
  /** Browsers cannot set headers on a WebSocket: allow `?access_token=`. */
  allowQueryTokens: setting({
    env: 'ALLOW_QUERY_AUTH_TOKENS',
    value: bool(),
    default: true,
    doc: 'accept `?access_token=` (browsers cannot set headers on a WebSocket)',
  }),
  defaultWorkspaceId: setting({
    env: 'WS_DEFAULT_WORKSPACE_ID',
    value: text(),
    default: 'default',
    doc: 'workspace of requests without auth (auth not required)',
  }),
  defaultUserId: setting({
    env: 'WS_DEFAULT_USER_ID',
    value: text(),
    default: 'anonymous',
    doc: 'user of requests without auth (auth not required)',
  }),
  /** Who may change the server's settings and run its connectivity tests. */
  admin: section('Auth', {
    /** `user` (in any workspace) or `workspace/user` entries. */
    users: setting({
      env: 'ADMIN_USERS',
      value: list({
        bad: (entry) => !ADMIN_ENTRY.test(entry),
        message: 'entries must be a user id or workspace/user (letters, digits and . _ @ : -)',
        example: 'root,acme/ada',
      }),
      default: [],
      defaultText: '–',
      doc: 'admins: `user` or `workspace/user`, comma-separated',
    }),
    /** The token claim holding roles (a string or an array of strings). */
    roleClaim: setting({
      env: 'ADMIN_ROLE_CLAIM',
      value: text(),
      default: 'roles',
      doc: 'the token claim holding roles',
    }),
    /** The role that makes a token holder an admin. */
    role: setting({
      env: 'ADMIN_ROLE',
      value: text(),
      default: 'admin',
      doc: 'a token whose role claim holds this is an admin',
    }),
  }),
});

export const databaseSettings = section('Database', {
  /** Postgres URL; SQLite under the data directory when unset. */
  url: setting({
    env: 'DATABASE_URL',
    value: text(),
    defaultText: 'SQLite in `FLEET_DATA_DIR`',
    doc: 'Postgres URL',
  }),
  required: setting({
    env: 'DATABASE_REQUIRED',
    value: bool(),
    defaultText: '`false` local, else `true`',
    doc: 'not ready while the database does not answer',
  }),
  /** Archived sessions are purged (with their events, steps, documents) after this many days. */
  retentionDays: setting({
    env: 'SESSION_RETENTION_DAYS',
    value: int(0),
    default: 30,
    doc: 'days after which archived sessions are purged (with their events and documents)',
  }),
});
