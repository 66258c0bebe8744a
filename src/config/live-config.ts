/**
 * The configuration in force while the server runs, with the environment it was read from: the
 * one place the settings route, the status route, the model client and `context.config` read,
 * so they agree after a settings PATCH.
 *
 * A reload reads the new environment through the schema (a bad value throws ConfigError and
 * changes nothing). The live sections take the new values at once and listeners apply them
 * (the model client is rebuilt, new secrets are redacted); every other section keeps its
 * startup value until the next start. `takesEffect` says which a variable is.
 */

import { configSettings, loadConfig } from './config.js';
import { ConfigError, type Env } from './config-error.js';
import type { Config } from './config-schema.js';

/** Sections applied without a restart: the models (the client is rebuilt) and Daytona's credentials. */
export const LIVE_SECTIONS = ['lm', 'daytona'] as const satisfies ReadonlyArray<keyof Config>;

export type TakesEffect = 'now' | 'restart';

type Listener = (next: Config, previous: Config) => void;

export class LiveConfig {
  private config: Config;
  private environment: Env;
  private readonly listeners = new Set<Listener>();
  private readonly read: (env: Env) => Config;

  constructor(options: { config: Config; env: Env; read?: (env: Env) => Config }) {
    this.config = options.config;
    this.environment = { ...options.env };
    this.read = options.read ?? loadConfig;
  }

  current(): Config {
    return this.config;
  }

  /** The environment in force (with what earlier reloads applied). */
  env(): Env {
    return this.environment;
  }

  /** Calls `listener` after each reload with the new and the previous configuration. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads `env` and applies its live sections; throws ConfigError (changing nothing) when it is bad. */
  reload(env: Env): Config {
    const read = this.read(env);
    const previous = this.config;
    const next: Config = {
      ...previous,
      lm: read.lm,
      daytona: read.daytona,
      secrets: mergeSecrets(previous, read),
    };
    this.config = next;
    this.environment = { ...env };
    // Listeners only apply values (swap a client, add secrets): they are not expected to throw.
    for (const listener of this.listeners) listener(next, previous);
    return next;
  }

  /** Whether a new value of `variable` applies at once or at the next start. */
  static takesEffect(variable: string): TakesEffect {
    const setting = configSettings().find(
      (entry) => entry.env === variable || entry.aliases.includes(variable),
    );
    if (!setting) throw new ConfigError([`${variable} is not a setting of fleet-rlm`]);
    return (LIVE_SECTIONS as readonly string[]).includes(setting.path[0]!) ? 'now' : 'restart';
  }
}

/** A replaced secret stays a secret: text written with the old key is still redacted. */
function mergeSecrets(previous: Config, next: Config): string[] {
  return [...new Set([...next.secrets, ...previous.secrets])].sort((a, b) => b.length - a.length);
}
