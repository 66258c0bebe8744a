/**
 * The runtime settings a local user may change over HTTP (fleet-rlm (Python)'s allowlist: the
 * config schema's settings marked `editable`, in its order), how each value is checked before
 * the reload, and how secrets (the schema's `secret` flag) are masked: first 3 + '...' + last 2
 * characters, or one '*' per character up to 6, exactly as the original, so a UI that sends a
 * masked value back can be recognised and the stored secret kept.
 */
import { configSettings } from '../../config/config.js';
import { LmError } from '../../lm/lm-error.js';
import { parseModelSpec } from '../../lm/model-spec.js';

export const RUNTIME_SETTINGS = configSettings().flatMap((setting) =>
  setting.editable ? [{ key: setting.env, check: setting.editable, secret: setting.secret }] : [],
);

export const SETTING_KEYS: readonly string[] = RUNTIME_SETTINGS.map((setting) => setting.key);
const SETTINGS = new Map(RUNTIME_SETTINGS.map((setting) => [setting.key, setting]));
const MAX_VALUE_CHARS = 4096;

export function isSettingKey(key: string): boolean {
  return SETTINGS.has(key);
}

export function isSecretSetting(key: string): boolean {
  return SETTINGS.get(key)?.secret === true;
}

export function maskSecret(value: string): string {
  if (value === '') return '';
  if (value.length <= 6) return '*'.repeat(value.length);
  return `${value.slice(0, 3)}...${value.slice(-2)}`;
}

/** A masked value sent back: all stars, or the mask of what is stored now. */
export function isMaskedRoundTrip(key: string, candidate: string, current: string | undefined): boolean {
  if (!isSecretSetting(key) || candidate === '') return false;
  if (/^\*+$/.test(candidate)) return true;
  return current !== undefined && current !== '' && candidate === maskSecret(current);
}

/** Undefined when `value` is fine for `key`, else what is wrong (without echoing a secret). */
export function settingProblem(key: string, value: string): string | undefined {
  const kind = SETTINGS.get(key)?.check;
  if (kind === undefined) return `${key} is not a runtime setting`;
  if (/[\r\n\0]/.test(value)) return `${key} must be one line`;
  if (value.length > MAX_VALUE_CHARS) return `${key} is longer than ${MAX_VALUE_CHARS} characters`;
  if (value === '') return undefined; // clears the setting
  switch (kind) {
    case 'model':
      try {
        parseModelSpec(value, key);
        return undefined;
      } catch (error) {
        return LmError.isInstance(error) ? error.message : String(error);
      }
    case 'url': {
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        // reported below
      }
      return url && (url.protocol === 'http:' || url.protocol === 'https:')
        ? undefined
        : `${key} must be an http(s) URL; got '${value}'`;
    }
    case 'positive_int':
      return /^[1-9]\d{0,9}$/.test(value) ? undefined : `${key} must be a positive integer; got '${value}'`;
    case 'secret':
    case 'text':
      return undefined;
  }
}
