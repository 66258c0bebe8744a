/**
 * The typed configuration, read once from the environment (and an optional `.env` file) through
 * the schema in `config-schema.ts`. Only this folder reads `process.env`. Variable names follow
 * fleet-rlm (Python) so an existing `.env` keeps working. Every bad value is reported at once,
 * each naming the variable (or alias) that held it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { ConfigError, type Env } from './config-error.js';
import { allSettings, type Config, configSchema } from './config-schema.js';
import type { SettingAt } from './setting.js';

export { DOCUMENT_PARSE_DEFAULTS, SANDBOX_PROVIDERS } from './engine-settings.js';
export type { LmConfig, ModelConfig, ModelPrice } from './lm-settings.js';
export type {
  MlflowConfig,
  ObservabilityConfig,
  OtlpConfig,
  PosthogConfig,
} from './observability-settings.js';
export { DEFAULT_DEV_JWT_SECRET } from './server-settings.js';
export type { Config };
export { ConfigError, type Env };

export type RlmConfig = Config['rlm'];
export type SandboxConfig = Config['sandbox'];
export type ServerConfig = Config['server'];
export type AuthConfig = Config['auth'];
/** Who may change the server's settings and run its connectivity tests. */
export type AdminConfig = AuthConfig['admin'];
export type DatabaseConfig = Config['database'];
export type AgentConfig = Config['agent'];
export type DocumentsConfig = Config['documents'];
export type EventsConfig = Config['events'];
export type QuotaConfig = Config['quotas'];
export type DaytonaConfig = Config['daytona'];

/** One setting as the schema declares it: its variable, aliases, doc, flags and place. */
export type ConfigSetting = SettingAt;

/** Every setting of the schema, in declaration order. */
export function configSettings(): readonly ConfigSetting[] {
  return allSettings();
}

export function loadConfig(env: Env = process.env): Config {
  const input: Record<string, unknown> = {};
  // Which variable gave each setting its text (the name or an alias), to name it in a problem.
  const source = new Map<string, string>();
  for (const entry of allSettings()) {
    const name = [entry.env, ...entry.aliases].find((candidate) => env[candidate]?.trim());
    placeAt(input, entry.path, name === undefined ? undefined : env[name]!.trim());
    if (name !== undefined) source.set(entry.path.join('.'), name);
  }
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => problemText(issue, source)));
}

function placeAt(target: Record<string, unknown>, path: readonly string[], value: string | undefined): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function problemText(issue: z.core.$ZodIssue, source: Map<string, string>): string {
  const path = issue.path.join('.');
  const setting = allSettings().find((entry) => entry.path.join('.') === path);
  if (!setting) return `${path || 'configuration'}: ${issue.message}`;
  return `${source.get(path) ?? setting.env} ${issue.message}`;
}

/** Reads `.env` at `path` (when present) under the given environment: set variables win. */
export function loadEnvFile(env: Env, path = resolve('.env')): Env {
  if (!existsSync(path)) return { ...env };
  const fromFile = parseEnv(readFileSync(path, 'utf8'));
  return { ...fromFile, ...env };
}

/** The process environment with `.env` (or `envFile`) under it: what a command reads its settings from. */
export function readEnvironment(envFile?: string): Env {
  return loadEnvFile(process.env, envFile);
}

/** Only the process environment (to tell variables set outside `.env`, or to pass on to a child). */
export function processEnvironment(): Env {
  return process.env;
}
