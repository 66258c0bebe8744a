/**
 * The typed configuration, read once from the environment (and an optional `.env` file).
 * Only this folder reads `process.env`. Variable names follow fleet-rlm (Python) so an existing
 * `.env` keeps working. Every bad value fails with a message naming the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, type Env, EnvReader } from './env-reader.js';
import { readLmConfig } from './read-lm-config.js';
import { type ObservabilityConfig, readObservabilityConfig } from './read-observability-config.js';
import { readServiceConfig } from './read-service-config.js';

export type { ObservabilityConfig };
export { ConfigError, type Env };

export const SANDBOX_PROVIDERS = ['pyodide', 'process', 'daytona'] as const;
const MB = 1024 * 1024;

export interface ModelConfig {
  /** `provider/model`, e.g. `openai/gpt-4.1-mini`, `anthropic/claude-sonnet-4-5`, `ollama/llama3.1`. */
  model: string;
  apiKey?: string;
  apiBase?: string;
  maxTokens?: number;
}

export interface ModelPrice {
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

export interface LmConfig {
  planner?: ModelConfig;
  delegate?: ModelConfig;
  delegateSmall?: ModelConfig;
  timeoutMs: number;
  maxRetries: number;
  prices: Record<string, ModelPrice>;
}

export interface RlmConfig {
  /** LM calls of one run's own loop (each run, root or child, has this cap). */
  maxIterations: number;
  /** Sub-LM calls shared by the whole tree: `llm_query` items and child-run LM calls. */
  maxLlmCalls: number;
  maxDepth: number;
  maxOutputChars: number;
  runTimeoutMs?: number;
  maxTokens?: number;
  maxCostUsd?: number;
  batchConcurrency: number;
  subRlmConcurrency: number;
  executeTimeoutMs: number;
}

export interface SandboxConfig {
  provider: (typeof SANDBOX_PROVIDERS)[number];
  warm: number;
  maxLive: number;
  idleTimeoutMs: number;
  memoryLimitMb: number;
  python: string;
  bubblewrap: 'auto' | 'required' | 'off';
  /** Output one execution may send (all streams, result, refused lines); past it the code is stopped. */
  maxOutputBytes: number;
  /** Host-call arguments one execution may send. */
  maxCallBytes: number;
  /** Host calls one execution may make. */
  maxCalls: number;
  /** Longest protocol line read from a sandbox; a longer one restarts it. */
  maxLineBytes: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  /**
   * Origins (besides the server's own) allowed to call it from a browser: CORS, and in local
   * mode the only foreign origins let in at all. Normalised (`scheme://host[:port]`); `*` allows
   * any (local only, and only when set explicitly).
   */
  corsOrigins: string[];
  /**
   * Fastify `trustProxy`: which peers' X-Forwarded-Host/-Proto/-For are believed (the server's
   * own origin is then the forwarded one). `false` (default), `true`, a hop count, or addresses.
   */
  trustProxy: boolean | number | string[];
  /** When set, `GET /metrics` needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** Largest WebSocket frame or JSON body accepted, in bytes. */
  maxFrameBytes: number;
  /** Largest uploaded document, in bytes. */
  maxUploadBytes: number;
  /** Client frames a socket may send per second (bursts of twice that). */
  maxFramesPerSecond: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface AuthConfig {
  required: boolean;
  devJwtSecret: string;
  jwksUrl?: string;
  audience?: string;
  issuer?: string;
  /** Browsers cannot set headers on a WebSocket: allow `?access_token=`. */
  allowQueryTokens: boolean;
  defaultWorkspaceId: string;
  defaultUserId: string;
  admin: AdminConfig;
}

/** Who may change the server's settings and run its connectivity tests. */
export interface AdminConfig {
  /** `user` (in any workspace) or `workspace/user` entries. */
  users: string[];
  /** The token claim holding roles (a string or an array of strings). */
  roleClaim: string;
  /** The role that makes a token holder an admin. */
  role: string;
  /** Auth off in local mode: the single local user is the admin. */
  localUserIsAdmin: boolean;
}

export interface DatabaseConfig {
  /** Postgres URL; SQLite under the data directory when unset. */
  url?: string;
  required: boolean;
  /** Archived sessions are purged (with their events, steps, documents) after this many days. */
  retentionDays: number;
}

export interface AgentConfig {
  maxIterations: number;
  maxDelegationsPerTurn: number;
  delegateResultChars: number;
  /** Recent turns kept verbatim in the planner prompt; older ones are summarized. */
  historyTurns: number;
}

export interface DocumentsConfig {
  urlMaxBytes: number;
  urlMaxRedirects: number;
  urlConnectTimeoutMs: number;
  urlReadTimeoutMs: number;
  /** Tests only: let URL documents come from loopback and private networks. */
  urlAllowPrivateNetworks: boolean;
  /** Most bytes a zip-based document (DOCX) may inflate to, and most text any document may yield. */
  maxInflatedBytes: number;
  /** Highest inflated:compressed ratio of a zip entry (entries under 1 MB inflated are exempt). */
  maxCompressionRatio: number;
  /** Wall-clock limit of one document's parse (in its worker thread), in milliseconds. */
  parseTimeoutMs: number;
  /** JavaScript heap limit of a parse worker, in MB. */
  workerHeapMb: number;
  /** Documents parsed at once in this process; more wait in a queue. */
  maxParallelParses: number;
  /** Documents that may wait for a parse slot; beyond that the upload is refused (503). */
  maxQueuedParses: number;
}

/** Per-user limits, so one person (or one stolen token) cannot take the whole server. */
export interface QuotaConfig {
  /** Turns one user may have running at once, over all their sessions. */
  turnsPerUser: number;
  /** Sandboxes one user's sessions may hold at once (idle ones included). */
  sandboxesPerUser: number;
  /** WebSockets (both kinds together) one user may have open at once. */
  socketsPerUser: number;
}

export interface EventsConfig {
  /** Frames a slow subscriber may have queued before it falls back to replay. */
  subscriberQueue: number;
  /** Frames kept per session and stream for replay. */
  replayLimit: number;
  /** `sandbox_output` frames one turn may stream and persist; past it one notice, then nothing. */
  turnMaxOutputEvents: number;
  /** Characters of `sandbox_output` text one turn may stream and persist. */
  turnMaxOutputBytes: number;
  /** How long the events socket waits for a session that does not exist yet (a client-chosen id). */
  sessionWaitMs: number;
}

export interface Config {
  appEnv: 'local' | 'staging' | 'production';
  dataDir: string;
  cacheDir: string;
  lm: LmConfig;
  rlm: RlmConfig;
  sandbox: SandboxConfig;
  server: ServerConfig;
  auth: AuthConfig;
  database: DatabaseConfig;
  agent: AgentConfig;
  documents: DocumentsConfig;
  events: EventsConfig;
  quotas: QuotaConfig;
  observability: ObservabilityConfig;
}

/** Reads `.env` from `dir` (when present) under the given environment: set variables win. */
export function loadEnvFile(env: Env, path = resolve('.env')): Env {
  if (!existsSync(path)) return env;
  const fromFile = parseEnv(readFileSync(path, 'utf8'));
  return { ...fromFile, ...env };
}

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const dataDir = resolve(read.string('FLEET_DATA_DIR') ?? '.fleet-rlm');
  const appEnv = read.choice('APP_ENV', ['local', 'staging', 'production'] as const, 'local');
  const config: Config = {
    appEnv,
    dataDir,
    cacheDir: resolve(dataDir, 'cache'),
    lm: readLmConfig(read),
    rlm: {
      maxIterations: read.int('RLM_MAX_ITERATIONS', 30, 1),
      maxLlmCalls: read.int('RLM_MAX_LLM_CALLS', 50, 0),
      maxDepth: read.int('RLM_MAX_DEPTH', 2, 0),
      maxOutputChars: read.int('RLM_MAX_OUTPUT_CHARS', 10_000, 100),
      runTimeoutMs: read.seconds('RLM_RUN_TIMEOUT'),
      maxTokens: read.optionalInt('RLM_MAX_TOKENS', 1),
      maxCostUsd: read.optionalNumber('RLM_MAX_COST'),
      batchConcurrency: read.int('RLM_BATCH_CONCURRENCY', 8, 1),
      subRlmConcurrency: read.int('RLM_SUB_RLM_CONCURRENCY', 4, 1),
      executeTimeoutMs: read.seconds('RLM_EXECUTE_TIMEOUT') ?? 120_000,
    },
    sandbox: {
      provider: read.choice('SANDBOX_PROVIDER', SANDBOX_PROVIDERS, 'pyodide'),
      warm: read.int('SANDBOX_WARM_POOL', 1, 0),
      maxLive: read.int('SANDBOX_MAX_LIVE', 4, 1),
      idleTimeoutMs: read.seconds('SANDBOX_IDLE_TIMEOUT') ?? 600_000,
      memoryLimitMb: read.int('SANDBOX_MEMORY_MB', 2048, 64),
      python: read.string('SANDBOX_PYTHON') ?? 'python3',
      bubblewrap: read.choice('SANDBOX_BWRAP', ['auto', 'required', 'off'] as const, 'auto'),
      maxOutputBytes: read.int('SANDBOX_MAX_OUTPUT_BYTES', 16 * MB, 64 * 1024),
      maxCallBytes: read.int('SANDBOX_MAX_CALL_BYTES', 128 * MB, 64 * 1024),
      maxCalls: read.int('SANDBOX_MAX_CALLS', 2000, 1),
      maxLineBytes: read.int('SANDBOX_MAX_LINE_BYTES', 64 * MB, 64 * 1024),
    },
    ...readServiceConfig(read, appEnv),
    ...readObservabilityConfig(read, appEnv, dataDir),
  };
  read.throwIfProblems();
  return config;
}
