/**
 * The server's settings: HTTP, auth, database, the chat agent's budgets, document loading and
 * the event log. Defaults are safe for a single local user; `assertSafeForDeployment` refuses
 * local-only shortcuts outside APP_ENV=local.
 */
import { isIP } from 'node:net';
import type { AuthConfig, Config, ServerConfig } from './config.js';
import type { EnvReader } from './env-reader.js';

const MB = 1024 * 1024;
export const DEFAULT_DEV_JWT_SECRET = 'change-me';
/** A scrape token shorter than this is guessable. */
const MIN_METRICS_TOKEN_LENGTH = 16;
/** Identity characters (as `server/auth/identity-claims.ts` allows them). */
const IDENTITY_PART = '[A-Za-z0-9._@:-]+';
const ADMIN_ENTRY = new RegExp(`^${IDENTITY_PART}(?:/${IDENTITY_PART})?$`);
const PROXY_ADDRESS_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** The document parse limits when nothing is configured (also the in-thread `extractText` default). */
export const DOCUMENT_PARSE_DEFAULTS = {
  maxInflatedBytes: 200 * MB,
  maxCompressionRatio: 100,
  parseTimeoutMs: 20_000,
  workerHeapMb: 1024,
  maxParallelParses: 2,
  maxQueuedParses: 16,
} as const;

export function readServiceConfig(
  read: EnvReader,
  appEnv: Config['appEnv'],
): Pick<Config, 'server' | 'auth' | 'database' | 'agent' | 'documents' | 'events' | 'quotas'> {
  const local = appEnv === 'local';
  const port = read.int('FLEET_PORT', 8000, 0);
  if (port > 65_535) read.problem(`FLEET_PORT must be a port number (0-65535); got ${port}`);
  return {
    server: {
      host: read.string('FLEET_HOST') ?? '127.0.0.1',
      port,
      // No cross-origin caller by default, in local mode too: same-origin pages need no CORS.
      corsOrigins: readOrigins(read),
      trustProxy: readTrustProxy(read),
      metricsToken: readMetricsToken(read),
      maxFrameBytes: read.int('WS_MAX_FRAME_BYTES', 1 * MB, 1024),
      maxUploadBytes: read.int('FLEET_UPLOAD_MAX_BYTES', 50 * MB, 1024),
      maxFramesPerSecond: read.int('WS_MAX_FRAMES_PER_SECOND', 50, 1),
      logLevel: read.choice(
        'LOG_LEVEL',
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
        'info',
      ),
    },
    auth: {
      required: read.bool('AUTH_REQUIRED', false),
      devJwtSecret: read.string('DEV_JWT_SECRET') ?? DEFAULT_DEV_JWT_SECRET,
      jwksUrl: read.stringOf('AUTH_JWKS_URL', 'ENTRA_JWKS_URL'),
      audience: read.stringOf('AUTH_AUDIENCE', 'ENTRA_AUDIENCE'),
      issuer: read.string('AUTH_ISSUER'),
      allowQueryTokens: read.bool('ALLOW_QUERY_AUTH_TOKENS', true),
      defaultWorkspaceId: read.string('WS_DEFAULT_WORKSPACE_ID') ?? 'default',
      defaultUserId: read.string('WS_DEFAULT_USER_ID') ?? 'anonymous',
      admin: {
        users: readAdminUsers(read),
        roleClaim: read.string('ADMIN_ROLE_CLAIM') ?? 'roles',
        role: read.string('ADMIN_ROLE') ?? 'admin',
        localUserIsAdmin: local,
      },
    },
    database: {
      url: read.string('DATABASE_URL'),
      required: read.bool('DATABASE_REQUIRED', !local),
      retentionDays: read.int('SESSION_RETENTION_DAYS', 30, 0),
    },
    agent: {
      maxIterations: read.int('REACT_MAX_ITERS', 15, 1),
      maxDelegationsPerTurn: read.int('DELEGATE_MAX_CALLS_PER_TURN', 8, 0),
      delegateResultChars: read.int('DELEGATE_RESULT_TRUNCATION_CHARS', 8000, 100),
      historyTurns: read.int('AGENT_HISTORY_TURNS', 12, 1),
    },
    documents: {
      urlMaxBytes: read.int('FLEET_URL_DOCUMENT_MAX_BYTES', 10 * MB, 1024),
      urlMaxRedirects: read.int('FLEET_URL_DOCUMENT_MAX_REDIRECTS', 5, 0),
      urlConnectTimeoutMs: read.seconds('FLEET_URL_DOCUMENT_CONNECT_TIMEOUT') ?? 10_000,
      urlReadTimeoutMs: read.seconds('FLEET_URL_DOCUMENT_READ_TIMEOUT') ?? 20_000,
      urlAllowPrivateNetworks: read.bool('FLEET_URL_DOCUMENT_ALLOW_PRIVATE', false),
      maxInflatedBytes: read.int(
        'FLEET_DOCUMENT_MAX_INFLATED_BYTES',
        DOCUMENT_PARSE_DEFAULTS.maxInflatedBytes,
        1024,
      ),
      maxCompressionRatio: read.int(
        'FLEET_DOCUMENT_MAX_COMPRESSION_RATIO',
        DOCUMENT_PARSE_DEFAULTS.maxCompressionRatio,
        2,
      ),
      parseTimeoutMs: read.seconds('FLEET_DOCUMENT_PARSE_TIMEOUT') ?? DOCUMENT_PARSE_DEFAULTS.parseTimeoutMs,
      // V8 needs some room of its own: below 64 MB a worker cannot even load pdf.js.
      workerHeapMb: read.int('FLEET_DOCUMENT_WORKER_HEAP_MB', DOCUMENT_PARSE_DEFAULTS.workerHeapMb, 64),
      maxParallelParses: read.int(
        'FLEET_DOCUMENT_MAX_PARALLEL_PARSES',
        DOCUMENT_PARSE_DEFAULTS.maxParallelParses,
        1,
      ),
      maxQueuedParses: read.int(
        'FLEET_DOCUMENT_MAX_QUEUED_PARSES',
        DOCUMENT_PARSE_DEFAULTS.maxQueuedParses,
        0,
      ),
    },
    events: {
      subscriberQueue: read.int('WS_EXECUTION_MAX_QUEUE', 256, 1),
      replayLimit: read.int('EVENTS_REPLAY_LIMIT', 10_000, 100),
      turnMaxOutputEvents: read.int('TURN_MAX_OUTPUT_EVENTS', 2000, 1),
      turnMaxOutputBytes: read.int('TURN_MAX_OUTPUT_BYTES', 4 * MB, 1024),
      sessionWaitMs: read.seconds('EVENTS_SESSION_WAIT') ?? 60_000,
    },
    quotas: {
      turnsPerUser: read.int('USER_MAX_CONCURRENT_TURNS', 3, 1),
      sandboxesPerUser: read.int('USER_MAX_SANDBOXES', 3, 1),
      socketsPerUser: read.int('USER_MAX_SOCKETS', 20, 1),
    },
  };
}

/** `scheme://host[:port]` per entry (as browsers send `Origin`), or `*`. */
function readOrigins(read: EnvReader): string[] {
  const origins: string[] = [];
  for (const entry of read.list('CORS_ALLOWED_ORIGINS') ?? []) {
    if (entry === '*') {
      origins.push(entry);
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      !['http:', 'https:'].includes(url.protocol) ||
      url.pathname !== '/' ||
      url.search ||
      url.hash
    ) {
      read.problem(
        `CORS_ALLOWED_ORIGINS entries must be origins like https://app.example.com or http://localhost:5173 (no path), or *; got '${entry}'`,
      );
      continue;
    }
    origins.push(url.origin);
  }
  return [...new Set(origins)];
}

function readTrustProxy(read: EnvReader): boolean | number | string[] {
  const value = read.string('TRUST_PROXY');
  if (value === undefined) return false;
  if (/^(true|false|yes|no|on|off)$/i.test(value)) return read.bool('TRUST_PROXY', false);
  // A number is a hop count (fastify's meaning), so 1 trusts one proxy, not "true".
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = read.list('TRUST_PROXY') ?? [];
  const bad = addresses.filter((entry) => {
    if (PROXY_ADDRESS_NAMES.includes(entry)) return false;
    const [address = '', prefix, extra] = entry.split('/');
    return isIP(address) === 0 || extra !== undefined || (prefix !== undefined && !/^\d{1,3}$/.test(prefix));
  });
  if (bad.length > 0) {
    read.problem(
      `TRUST_PROXY must be true, false, a hop count, or proxy addresses (IPs, CIDRs, loopback, linklocal, uniquelocal); got '${bad.join(', ')}'`,
    );
  }
  return addresses;
}

function readMetricsToken(read: EnvReader): string | undefined {
  const token = read.string('METRICS_TOKEN');
  if (token !== undefined && token.length < MIN_METRICS_TOKEN_LENGTH) {
    read.problem(
      `METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters (a long random value)`,
    );
  }
  return token;
}

function readAdminUsers(read: EnvReader): string[] {
  const entries = read.list('ADMIN_USERS') ?? [];
  const bad = entries.filter((entry) => !ADMIN_ENTRY.test(entry));
  if (bad.length > 0) {
    read.problem(
      `ADMIN_USERS entries must be a user id or workspace/user (letters, digits and . _ @ : -); got '${bad.join(', ')}'`,
    );
  }
  return entries;
}

/**
 * Outside APP_ENV=local the server refuses settings that are only safe on one's own machine.
 * Returns the problems (empty when the configuration is fit to serve).
 */
export function deploymentProblems(config: {
  appEnv: string;
  auth: AuthConfig;
  server: ServerConfig;
}): string[] {
  if (config.appEnv === 'local') return [];
  const problems: string[] = [];
  if (!config.auth.required) problems.push('AUTH_REQUIRED must be true outside APP_ENV=local');
  if (!config.auth.jwksUrl && config.auth.devJwtSecret === DEFAULT_DEV_JWT_SECRET) {
    problems.push('DEV_JWT_SECRET is the default value; set a long random secret or AUTH_JWKS_URL');
  }
  if (config.server.corsOrigins.includes('*')) {
    problems.push('CORS_ALLOWED_ORIGINS must list origins outside APP_ENV=local, not *');
  }
  return problems;
}
