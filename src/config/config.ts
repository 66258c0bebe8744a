/**
 * The typed configuration, read once from the environment (and an optional `.env` file).
 * Only this folder reads `process.env`. Variable names follow fleet-rlm (Python) so an existing
 * `.env` keeps working. Every bad value fails with a message naming the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';

export const SANDBOX_PROVIDERS = ['pyodide', 'process', 'daytona'] as const;

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
}

export interface Config {
  appEnv: 'local' | 'staging' | 'production';
  dataDir: string;
  cacheDir: string;
  lm: LmConfig;
  rlm: RlmConfig;
  sandbox: SandboxConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads `.env` from `dir` (when present) under the given environment: set variables win. */
export function loadEnvFile(env: Env, path = resolve('.env')): Env {
  if (!existsSync(path)) return env;
  const fromFile = parseEnv(readFileSync(path, 'utf8'));
  return { ...fromFile, ...env };
}

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const dataDir = resolve(read.string('FLEET_DATA_DIR') ?? '.fleet-rlm');
  const config: Config = {
    appEnv: read.choice('APP_ENV', ['local', 'staging', 'production'] as const, 'local'),
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
    },
  };
  read.throwIfProblems();
  return config;
}

function readLmConfig(read: EnvReader): LmConfig {
  const plannerModel = read.string('DSPY_LM_MODEL');
  const plannerKey = read.string('DSPY_LLM_API_KEY') ?? read.string('DSPY_LM_API_KEY');
  const plannerBase = read.string('DSPY_LM_API_BASE');
  const plannerMaxTokens = read.optionalInt('DSPY_LM_MAX_TOKENS', 1);
  const planner = plannerModel
    ? compact({ model: plannerModel, apiKey: plannerKey, apiBase: plannerBase, maxTokens: plannerMaxTokens })
    : undefined;
  const delegateModel = read.string('DSPY_DELEGATE_LM_MODEL');
  // A delegate without its own key/base borrows the planner's, as in fleet-rlm (Python).
  const delegate = delegateModel
    ? compact({
        model: delegateModel,
        apiKey: read.string('DSPY_DELEGATE_LM_API_KEY') ?? plannerKey,
        apiBase: read.string('DSPY_DELEGATE_LM_API_BASE') ?? plannerBase,
        maxTokens: read.optionalInt('DSPY_DELEGATE_LM_MAX_TOKENS', 1) ?? plannerMaxTokens,
      })
    : undefined;
  const smallModel = read.string('DSPY_DELEGATE_LM_SMALL_MODEL');
  const smallBase = delegate ?? planner;
  const delegateSmall = smallModel
    ? compact({
        model: smallModel,
        apiKey: read.string('DSPY_DELEGATE_LM_SMALL_API_KEY') ?? smallBase?.apiKey,
        apiBase: read.string('DSPY_DELEGATE_LM_SMALL_API_BASE') ?? smallBase?.apiBase,
        maxTokens: smallBase?.maxTokens,
      })
    : undefined;
  return {
    planner,
    delegate,
    delegateSmall,
    timeoutMs: read.seconds('RLM_LM_TIMEOUT') ?? 60_000,
    maxRetries: read.int('LM_MAX_RETRIES', 2, 0),
    prices: read.json('FLEET_MODEL_PRICES', priceTable) ?? {},
  };
}

const priceTable = z.record(
  z.string(),
  z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
);

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}

/** Collects every problem before failing, so one run shows them all. */
class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  choice<T extends string>(name: string, options: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if ((options as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${options.join(', ')}; got '${value}'`);
    return fallback;
  }

  int(name: string, fallback: number, min: number): number {
    return this.optionalInt(name, min) ?? fallback;
  }

  optionalInt(name: string, min: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) {
      this.problems.push(`${name} must be an integer >= ${min}; got '${value}'`);
      return undefined;
    }
    return parsed;
  }

  optionalNumber(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      this.problems.push(`${name} must be a positive number; got '${value}'`);
      return undefined;
    }
    return parsed;
  }

  /** A duration given in seconds, returned in milliseconds. */
  seconds(name: string): number | undefined {
    const value = this.optionalNumber(name);
    return value === undefined ? undefined : Math.round(value * 1000);
  }

  json<T>(name: string, schema: z.ZodType<T>): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(value);
    } catch (error) {
      this.problems.push(`${name} must be JSON: ${(error as Error).message}`);
      return undefined;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      this.problems.push(`${name} has the wrong shape: ${z.prettifyError(parsed.error)}`);
      return undefined;
    }
    return parsed.data;
  }

  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
