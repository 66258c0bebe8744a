/**
 * The runtime diagnostics wire contract (`/api/v1/runtime/*`), in fleet-rlm (Python)'s shapes:
 * the status a settings UI shows, the connectivity-test envelope, and the settings snapshot and
 * patch. Fields beyond the original (`database`, `sandbox`, `posthog`, `daytona.checks`,
 * `daytona.applicable`) are additions, never renames.
 */
import { z } from 'zod';

export const preflightCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});
export type PreflightCheck = z.infer<typeof preflightCheck>;

/** The answer of `POST /runtime/tests/{lm,daytona}`, and what status caches under `tests`. */
export const connectivityTest = z.object({
  kind: z.enum(['lm', 'daytona']),
  /** The whole test passed (preflight and, where there is one, the live check). */
  ok: z.boolean(),
  /** The configuration checks passed; no live call is made when they do not. */
  preflight_ok: z.boolean(),
  checks: z.array(preflightCheck),
  guidance: z.array(z.string()),
  latency_ms: z.number().int(),
  checked_at: z.string(),
  output_preview: z.string().optional(),
  /** Redacted: configured key values never appear here. */
  error: z.string().optional(),
});
export type ConnectivityTest = z.infer<typeof connectivityTest>;

const startupStatus = z.enum(['pending', 'ready', 'degraded', 'disabled']);

export const runtimeStatus = z.object({
  app_env: z.string(),
  /** Settings writes are allowed (APP_ENV=local). */
  write_enabled: z.boolean(),
  /** The server can take turns and the cached connectivity tests passed. */
  ready: z.boolean(),
  sandbox_provider: z.string(),
  /** The model serving each role after fallbacks; '' when none. */
  active_models: z.object({ planner: z.string(), delegate: z.string(), delegate_small: z.string() }),
  llm: z.object({ model_set: z.boolean(), api_key_set: z.boolean(), planner_configured: z.boolean() }),
  mlflow: z.object({
    enabled: z.boolean(),
    auto_start_enabled: z.boolean(),
    startup_status: startupStatus,
    startup_error: z.string().nullable(),
  }),
  daytona: z.object({
    api_key_set: z.boolean(),
    api_url_set: z.boolean(),
    target_set: z.boolean(),
    legacy_api_base_url_ok: z.boolean(),
    /** Null when Daytona does not run the sandboxes: neither configured nor a failure. */
    configured: z.boolean().nullable(),
    /** Daytona is the sandbox provider, so its credentials matter. */
    applicable: z.boolean(),
    checks: z.array(preflightCheck),
    /** Empty when not applicable. */
    guidance: z.array(z.string()),
  }),
  /** `daytona` is null when Daytona is not the sandbox provider, whatever a test said. */
  tests: z.object({ lm: connectivityTest.nullable(), daytona: connectivityTest.nullable() }),
  /** Concrete fix-it lines, most important first. */
  guidance: z.array(z.string()),
  database: z.object({ status: z.enum(['ready', 'degraded']), dialect: z.string() }),
  sandbox: z.object({
    provider: z.string(),
    /** Started, never-used sandboxes ready for the next session. */
    warm: z.number().int(),
    live: z.number().int(),
    cap: z.number().int(),
    /** Turns waiting for a free sandbox slot right now. */
    waiting: z.number().int(),
  }),
  posthog: z.object({
    enabled: z.boolean(),
    status: z.enum(['disabled', 'ready', 'degraded']),
    error: z.string().nullable(),
  }),
});
export type RuntimeStatus = z.infer<typeof runtimeStatus>;

export const settingsSnapshot = z.object({
  /** The `.env` file PATCH writes. */
  env_path: z.string(),
  keys: z.array(z.string()),
  /** Every key's current value; secrets appear masked here too, never in clear. */
  values: z.record(z.string(), z.string()),
  /** The secret keys' masked values (first 3 + '...' + last 2). */
  masked_values: z.record(z.string(), z.string()),
});
export type SettingsSnapshot = z.infer<typeof settingsSnapshot>;

export const settingsPatchBody = z.object({
  /** Allowlisted key → new value; '' clears a setting, null is ignored, numbers are written as text. */
  updates: z.record(
    z.string(),
    z
      .union([z.string(), z.number()])
      .nullable()
      .transform((value) => (typeof value === 'number' ? String(value) : value)),
  ),
});

export const settingsPatchResult = z.object({
  /** Keys written; unchanged values and masked secrets sent back are not. */
  updated: z.array(z.string()),
  env_path: z.string(),
  /** E.g. a key also set in the process environment, which wins over `.env` at the next start. */
  warnings: z.array(z.string()),
  /** Per updated key: `now` (applied to the running server) or `restart` (at the next start). */
  takes_effect: z.record(z.string(), z.enum(['now', 'restart'])),
});
export type SettingsPatchResult = z.infer<typeof settingsPatchResult>;
