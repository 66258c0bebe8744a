/**
 * The server's settings: HTTP, auth, database, the chat agent's budgets, document loading and
 * the event log. Defaults are safe for a single local user; `assertSafeForDeployment` refuses
 * local-only shortcuts outside APP_ENV=local.
 */
import type { AuthConfig, Config, ServerConfig } from './config.js';
import type { EnvReader } from './env-reader.js';

const MB = 1024 * 1024;
export const DEFAULT_DEV_JWT_SECRET = 'change-me';

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
): Pick<Config, 'server' | 'auth' | 'database' | 'agent' | 'documents' | 'events'> {
  const local = appEnv === 'local';
  const port = read.int('FLEET_PORT', 8000, 0);
  if (port > 65_535) read.problem(`FLEET_PORT must be a port number (0-65535); got ${port}`);
  return {
    server: {
      host: read.string('FLEET_HOST') ?? '127.0.0.1',
      port,
      corsOrigins: read.list('CORS_ALLOWED_ORIGINS') ?? (local ? ['*'] : []),
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
    },
  };
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
