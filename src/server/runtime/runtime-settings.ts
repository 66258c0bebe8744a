/**
 * `GET/PATCH /runtime/settings`: the allowlisted settings as the running server sees them
 * (secrets masked, read from the live configuration's environment), and changes that are
 * validated, written to `.env` and then reloaded into the live configuration (which rebuilds
 * the models); the answer says per key whether it applied now or at the next start. A reload
 * that fails puts the old `.env` back, so the file never holds settings the server refused.
 * Changes are serialised: two PATCHes never interleave their read-modify-write of the file.
 */
import { ConfigError, type Env } from '../../config/config.js';
import { LiveConfig, type TakesEffect } from '../../config/live-config.js';
import { FleetError } from '../../contract/fleet-error.js';
import type { SettingsPatchResult, SettingsSnapshot } from '../../contract/runtime-schemas.js';
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
  /**
   * The live configuration and the environment it was read from (process env merged with
   * `.env`); a PATCH reloads it (a ConfigError refuses the change).
   */
  live: LiveConfig;
  /**
   * Variables set outside `.env` (usually the process environment). `loadEnvFile` lets them
   * win at the next start, so a PATCH of one of them answers with a warning.
   */
  processEnv?: Env;
}

export class RuntimeSettings {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly sources: SettingsSources) {}

  private get env(): Env {
    return this.sources.live.env();
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
    const { envPath, live } = this.sources;
    const { appEnv } = live.current();
    if (appEnv !== 'local') {
      throw new FleetError(
        'settings_read_only',
        `runtime settings can only be changed when APP_ENV=local (APP_ENV is ${appEnv}); edit the deployment's environment instead`,
      );
    }
    const unknown = Object.keys(updates).filter((key) => !isSettingKey(key));
    if (unknown.length > 0) {
      throw new FleetError(
        'unknown_setting',
        `not a runtime setting: ${unknown.join(', ')}; allowed: ${SETTING_KEYS.join(', ')}`,
        { details: { keys: unknown, allowed: [...SETTING_KEYS] } },
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
        throw new FleetError(
          'invalid_setting',
          problem ?? `${key} cannot be written to .env with these quotes`,
          { details: { key } },
        );
      }
      lines.set(key, line);
      changed[key] = value;
    }
    const updated = Object.keys(changed).sort();
    if (updated.length === 0) return { updated, env_path: envPath, warnings: [], takes_effect: {} };

    const previous = await readEnvText(envPath);
    await writeFileAtomic(envPath, applyEnvLines(previous, lines));
    try {
      live.reload({ ...this.env, ...changed });
    } catch (error) {
      await restoreEnvText(envPath, previous);
      if (ConfigError.isInstance(error)) {
        throw new FleetError('invalid_setting', error.message, {
          details: { problems: error.problems },
          cause: error,
        });
      }
      throw error;
    }
    const takesEffect: Record<string, TakesEffect> = {};
    for (const key of updated) takesEffect[key] = LiveConfig.takesEffect(key);
    const shadowed = updated.filter((key) => {
      const outside = this.sources.processEnv?.[key];
      return outside !== undefined && outside !== changed[key];
    });
    const warnings = shadowed.map(
      (key) =>
        `${key} is also set in the server's environment, which wins over ${envPath} at the next start; unset it there to keep this value`,
    );
    return { updated, env_path: envPath, warnings, takes_effect: takesEffect };
  }
}
