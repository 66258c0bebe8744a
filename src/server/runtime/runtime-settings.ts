/**
 * `GET/PATCH /runtime/settings`: the allowlisted settings as the running server sees them
 * (secrets masked), and changes that are validated, written to `.env` and then applied by the
 * caller's `reload` (which rebuilds the models). A reload that fails puts the old `.env` back,
 * so the file never holds settings the server refused. Changes are serialised: two PATCHes
 * never interleave their read-modify-write of the file.
 */
import { ConfigError, type Env } from '../../config/config.js';
import type { SettingsPatchResult, SettingsSnapshot } from '../../contract/runtime-schemas.js';
import { HttpError } from '../http-error.js';
import { applyEnvLines, formatEnvLine, readEnvText, restoreEnvText, writeFileAtomic } from './env-file.js';
import {
  isMaskedRoundTrip,
  isSecretSetting,
  isSettingKey,
  maskSecret,
  SETTING_KEYS,
  settingProblem,
} from './settings-catalog.js';

export interface SettingsSources {
  /** The `.env` file to write (created when missing). */
  envPath: string;
  /** The environment the running configuration was built from (process env merged with `.env`). */
  env: Env;
  /**
   * Variables set outside `.env` (usually `process.env`). `loadEnvFile` lets them win at the
   * next start, so a PATCH of one of them answers with a warning.
   */
  processEnv?: Env;
  /** APP_ENV now; only `local` may write. */
  appEnv(): string;
  /** Applies the new environment (rebuild config and models); throw ConfigError to refuse it. */
  reload(env: Env): Promise<void> | void;
}

export class RuntimeSettings {
  private env: Env;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly sources: SettingsSources) {
    this.env = { ...sources.env };
  }

  /** The environment in force, including what earlier PATCHes applied. */
  currentEnv(): Env {
    return this.env;
  }

  snapshot(): SettingsSnapshot {
    const values: Record<string, string> = {};
    const masked: Record<string, string> = {};
    for (const key of SETTING_KEYS) {
      const value = this.env[key] ?? '';
      if (isSecretSetting(key)) {
        masked[key] = maskSecret(value);
        values[key] = masked[key];
      } else {
        values[key] = value;
      }
    }
    return { env_path: this.sources.envPath, keys: [...SETTING_KEYS], values, masked_values: masked };
  }

  patch(updates: Record<string, string | null>): Promise<SettingsPatchResult> {
    const next = this.queue.then(() => this.apply(updates));
    this.queue = next.catch(() => {});
    return next;
  }

  private async apply(updates: Record<string, string | null>): Promise<SettingsPatchResult> {
    const { envPath } = this.sources;
    if (this.sources.appEnv() !== 'local') {
      throw new HttpError(
        403,
        'settings_read_only',
        `runtime settings can only be changed when APP_ENV=local (APP_ENV is ${this.sources.appEnv()}); edit the deployment's environment instead`,
      );
    }
    const unknown = Object.keys(updates).filter((key) => !isSettingKey(key));
    if (unknown.length > 0) {
      throw new HttpError(
        400,
        'unknown_setting',
        `not a runtime setting: ${unknown.join(', ')}; allowed: ${SETTING_KEYS.join(', ')}`,
        { keys: unknown, allowed: [...SETTING_KEYS] },
      );
    }
    const lines = new Map<string, string>();
    const changed: Record<string, string> = {};
    for (const [key, raw] of Object.entries(updates)) {
      if (raw === null) continue;
      const value = raw.trim();
      // A settings form sends every field back: unchanged values and masked secrets are no-ops.
      if ((this.env[key] ?? '') === value || isMaskedRoundTrip(key, value, this.env[key])) continue;
      const problem = settingProblem(key, value);
      const line = problem ? undefined : formatEnvLine(key, value);
      if (problem || line === undefined) {
        throw new HttpError(
          400,
          'invalid_setting',
          problem ?? `${key} cannot be written to .env with these quotes`,
          {
            key,
          },
        );
      }
      lines.set(key, line);
      changed[key] = value;
    }
    const updated = Object.keys(changed).sort();
    if (updated.length === 0) return { updated, env_path: envPath, warnings: [] };

    const previous = await readEnvText(envPath);
    await writeFileAtomic(envPath, applyEnvLines(previous, lines));
    const env = { ...this.env, ...changed };
    try {
      await this.sources.reload(env);
    } catch (error) {
      await restoreEnvText(envPath, previous);
      if (error instanceof ConfigError) {
        throw new HttpError(400, 'invalid_setting', error.message, { problems: error.problems });
      }
      throw error;
    }
    this.env = env;
    const shadowed = updated.filter((key) => {
      const outside = this.sources.processEnv?.[key];
      return outside !== undefined && outside !== changed[key];
    });
    const warnings = shadowed.map(
      (key) =>
        `${key} is also set in the server's environment, which wins over ${envPath} at the next start; unset it there to keep this value`,
    );
    return { updated, env_path: envPath, warnings };
  }
}
