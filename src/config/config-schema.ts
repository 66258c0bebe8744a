/**
 * The configuration as one zod schema. `settingsSchema` is the settings as the environment
 * gives them (one `setting` leaf per variable, grouped in sections); `configSchema` adds what
 * depends on more than one of them (the model roles, APP_ENV- and data-directory defaults, the
 * secret values, the legacy Daytona check) and is what `Config` is inferred from.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { daytonaSettings, LEGACY_DAYTONA_URL_PROBLEM } from './daytona-config.js';
import {
  agentSettings,
  documentsSettings,
  eventsSettings,
  quotaSettings,
  rlmSettings,
  sandboxSettings,
} from './engine-settings.js';
import { choice, text } from './env-values.js';
import { lmSettings, modelRoles } from './lm-settings.js';
import { observabilityConfig, observabilitySettings } from './observability-settings.js';
import { authSettings, databaseSettings, serverSettings } from './server-settings.js';
import { type SettingAt, setting, settingsOf } from './setting.js';

export const APP_ENVS = ['local', 'staging', 'production'] as const;

export const settingsSchema = z.object({
  dataDir: setting({
    env: 'FLEET_DATA_DIR',
    value: text(),
    default: '.fleet-rlm',
    defaultText: '`./.fleet-rlm`',
    doc: 'data directory: SQLite database, traces, workspaces (the Pyodide memory snapshot is cached under `cache/`)',
  }),
  appEnv: setting({
    env: 'APP_ENV',
    value: choice(APP_ENVS),
    default: 'local',
    doc: '`local` (settings writes, MLflow auto-start, the local user is the admin), `staging`, `production` (auth required, no local shortcuts)',
  }),
  lm: lmSettings,
  rlm: rlmSettings,
  sandbox: sandboxSettings,
  server: serverSettings,
  auth: authSettings,
  database: databaseSettings,
  agent: agentSettings,
  documents: documentsSettings,
  events: eventsSettings,
  quotas: quotaSettings,
  observability: observabilitySettings,
  daytona: daytonaSettings,
});

type Settings = z.output<typeof settingsSchema>;

let settingsList: SettingAt[] | undefined;

/** Every setting of the schema, in declaration order (README order, problem order). */
export function allSettings(): readonly SettingAt[] {
  settingsList ??= settingsOf(settingsSchema, 'General');
  return settingsList;
}

function valueAt(settings: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], settings);
}

/** The values of every setting marked secret, longest first, for exact-value redaction. */
function secretValues(settings: Settings): string[] {
  const values = allSettings().flatMap((entry) => entry.secretsOf(valueAt(settings, entry.path)));
  // Longest first, so a secret that contains another is replaced whole.
  return [...new Set(values.filter((value) => value !== ''))].sort((a, b) => b.length - a.length);
}

function toConfig(settings: Settings) {
  const dataDir = resolve(settings.dataDir);
  const local = settings.appEnv === 'local';
  return {
    ...settings,
    dataDir,
    cacheDir: resolve(dataDir, 'cache'),
    lm: modelRoles(settings.lm),
    auth: { ...settings.auth, admin: { ...settings.auth.admin, localUserIsAdmin: local } },
    database: { ...settings.database, required: settings.database.required ?? !local },
    observability: observabilityConfig(settings.observability, settings.appEnv, dataDir),
    /** The configured secret values (every setting marked `secret`), longest first. */
    secrets: secretValues(settings),
  };
}

export const configSchema = settingsSchema
  .check(
    z.superRefine(
      (settings: Settings, ctx) => {
        if (
          settings.sandbox?.provider === 'daytona' &&
          typeof settings.daytona?.legacyApiBaseUrl === 'string'
        ) {
          ctx.addIssue({
            code: 'custom',
            message: LEGACY_DAYTONA_URL_PROBLEM,
            path: ['daytona', 'legacyApiBaseUrl'],
          });
        }
      },
      // Also when other settings are bad (their values may then be missing), so every problem
      // is reported at once.
      { when: () => true },
    ),
  )
  .transform(toConfig);

export type Config = z.output<typeof configSchema>;
