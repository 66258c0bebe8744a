/**
 * `GET/PATCH /api/v1/runtime/settings` over HTTP: masking, the `.env` write (other lines kept,
 * atomic, values read back exactly), masked round trips, the allowlist, validation, APP_ENV, the
 * hot reload and its rollback.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Env } from '../../../src/config/config.js';
import type { SettingsPatchResult, SettingsSnapshot } from '../../../src/contract/runtime-schemas.js';
import { applyEnvLines, formatEnvLine } from '../../../src/server/runtime/env-file.js';
import { maskSecret } from '../../../src/server/runtime/settings-catalog.js';
import { type RuntimeApp, useRuntimeApps } from './runtime-app.js';

const KEY = 'sk-test-planted-settings-key-0123456789';

const apps = useRuntimeApps();

async function start(
  env: Env = {},
  extra: { processEnv?: Env; reload?: (env: Env) => void } = {},
): Promise<RuntimeApp> {
  return apps.start({
    env: {
      DSPY_LM_MODEL: 'openai/planner',
      DSPY_LM_API_BASE: apps.lm.baseUrl,
      DSPY_LLM_API_KEY: KEY,
      DAYTONA_API_KEY: 'abc',
      ...env,
    },
    ...extra,
  });
}

async function snapshot(app: RuntimeApp): Promise<SettingsSnapshot> {
  const response = await app.app.inject({ method: 'GET', url: '/api/v1/runtime/settings' });
  expect(response.statusCode).toBe(200);
  return response.json();
}

function patch(app: RuntimeApp, updates: Record<string, string | number | null>) {
  return app.app.inject({ method: 'PATCH', url: '/api/v1/runtime/settings', payload: { updates } });
}

const ENV_FILE = [
  '# fleet-rlm settings',
  'FLEET_PORT=8000',
  '',
  'export DSPY_LM_MODEL=openai/old-model   # replaced',
  "OTHER='kept exactly'",
  '# DSPY_LLM_API_KEY=commented-out-stays',
  '',
].join('\n');

describe('GET /api/v1/runtime/settings', () => {
  it('lists the allowlisted keys with secrets masked, never in clear', async () => {
    const app = await start();
    const response = await app.app.inject({ method: 'GET', url: '/api/v1/runtime/settings' });
    expect(response.body).not.toContain(KEY);
    const body: SettingsSnapshot = response.json();
    expect(body.env_path).toBe(app.envPath);
    expect(body.keys).toEqual([
      'DSPY_LM_MODEL',
      'DSPY_LM_API_BASE',
      'DSPY_LM_MAX_TOKENS',
      'DSPY_DELEGATE_LM_MODEL',
      'DSPY_DELEGATE_LM_API_BASE',
      'DSPY_DELEGATE_LM_MAX_TOKENS',
      'DSPY_DELEGATE_LM_SMALL_MODEL',
      'DSPY_LLM_API_KEY',
      'DAYTONA_API_KEY',
      'DAYTONA_API_URL',
      'DAYTONA_TARGET',
    ]);
    expect(body.masked_values).toEqual({ DSPY_LLM_API_KEY: 'sk-...89', DAYTONA_API_KEY: '***' });
    expect(body.values).toMatchObject({
      DSPY_LM_MODEL: 'openai/planner',
      DSPY_LM_API_BASE: apps.lm.baseUrl,
      DSPY_LM_MAX_TOKENS: '',
      DSPY_LLM_API_KEY: 'sk-...89',
      DAYTONA_API_KEY: '***',
    });
  });

  it('masks as the original: first 3 + ... + last 2, stars up to 6 characters', () => {
    expect(maskSecret('sk-abcdefgh12')).toBe('sk-...12');
    expect(maskSecret('abcdef')).toBe('******');
    expect(maskSecret('abcdefg')).toBe('abc...fg');
    expect(maskSecret('')).toBe('');
  });
});

describe('PATCH /api/v1/runtime/settings', () => {
  it('writes .env keeping other lines and comments, then hot-reloads the models', async () => {
    const app = await start();
    writeFileSync(app.envPath, ENV_FILE, { mode: 0o640 });
    const response = await patch(app, {
      DSPY_LM_MODEL: 'openai/new-model',
      DSPY_DELEGATE_LM_MAX_TOKENS: 4096,
      DAYTONA_TARGET: 'eu # with "quotes" and spaces',
      DSPY_DELEGATE_LM_SMALL_MODEL: null,
    });
    expect(response.statusCode).toBe(200);
    const result: SettingsPatchResult = response.json();
    expect(result).toEqual({
      updated: ['DAYTONA_TARGET', 'DSPY_DELEGATE_LM_MAX_TOKENS', 'DSPY_LM_MODEL'],
      env_path: app.envPath,
      warnings: [],
      takes_effect: { DAYTONA_TARGET: 'now', DSPY_DELEGATE_LM_MAX_TOKENS: 'now', DSPY_LM_MODEL: 'now' },
    });
    const text = readFileSync(app.envPath, 'utf8');
    expect(text.split('\n')).toEqual([
      '# fleet-rlm settings',
      'FLEET_PORT=8000',
      '',
      'export DSPY_LM_MODEL=openai/new-model',
      "OTHER='kept exactly'",
      '# DSPY_LLM_API_KEY=commented-out-stays',
      'DSPY_DELEGATE_LM_MAX_TOKENS=4096',
      `DAYTONA_TARGET='eu # with "quotes" and spaces'`,
      '',
    ]);
    expect(parseEnv(text)).toMatchObject({
      DSPY_LM_MODEL: 'openai/new-model',
      DAYTONA_TARGET: 'eu # with "quotes" and spaces',
      OTHER: 'kept exactly',
    });
    expect(statSync(app.envPath).mode & 0o777).toBe(0o640);
    expect(readdirSync(app.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    // The reload got the whole new environment, and the running models changed.
    expect(app.reloads).toHaveLength(1);
    expect(app.reloads[0]).toMatchObject({ DSPY_LM_MODEL: 'openai/new-model', DSPY_LLM_API_KEY: KEY });
    expect(app.config().lm.planner?.model).toBe('openai/new-model');
    const status = await app.app.inject({ method: 'GET', url: '/api/v1/runtime/status' });
    expect(status.json().active_models.planner).toBe('openai/new-model');
    expect((await snapshot(app)).values.DAYTONA_TARGET).toBe('eu # with "quotes" and spaces');
  });

  it('creates a missing .env readable only by its owner', async () => {
    const app = await start();
    const response = await patch(app, { DSPY_LLM_API_KEY: 'sk-brand-new-secret-value' });
    expect(response.json().updated).toEqual(['DSPY_LLM_API_KEY']);
    expect(readFileSync(app.envPath, 'utf8')).toBe('DSPY_LLM_API_KEY=sk-brand-new-secret-value\n');
    expect(statSync(app.envPath).mode & 0o777).toBe(0o600);
    expect(app.config().lm.planner?.apiKey).toBe('sk-brand-new-secret-value');
    expect((await snapshot(app)).masked_values.DSPY_LLM_API_KEY).toBe('sk-...ue');
  });

  it('ignores masked secrets sent back, so a form round trip keeps the stored keys', async () => {
    const app = await start();
    const { values } = await snapshot(app);
    const response = await patch(app, values);
    expect(response.statusCode).toBe(200);
    expect(response.json().updated).toEqual([]);
    expect(app.reloads).toHaveLength(0);
    expect(readdirSync(app.dir)).not.toContain('.env');
    expect((await patch(app, { DSPY_LLM_API_KEY: '*****' })).json().updated).toEqual([]);
    expect(app.config().lm.planner?.apiKey).toBe(KEY);
  });

  it('refuses keys outside the allowlist, naming them', async () => {
    const app = await start();
    const response = await patch(app, { DATABASE_URL: 'postgres://x', DSPY_LM_MODEL: 'openai/x' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'unknown_setting',
      message: expect.stringMatching(/^not a runtime setting: DATABASE_URL; allowed: DSPY_LM_MODEL/),
      details: { keys: ['DATABASE_URL'] },
    });
    expect(app.reloads).toHaveLength(0);
  });

  it.each([
    ['DSPY_LM_MODEL', 'gpt-4', /DSPY_LM_MODEL.*has no provider/],
    ['DSPY_LM_API_BASE', 'localhost:11434', /DSPY_LM_API_BASE must be an http\(s\) URL/],
    ['DSPY_LM_MAX_TOKENS', '0', /DSPY_LM_MAX_TOKENS must be a positive integer/],
    ['DAYTONA_TARGET', 'eu\nINJECTED=1', /DAYTONA_TARGET must be one line/],
  ])('refuses an invalid %s, naming the key, and writes nothing', async (key, value, message) => {
    const app = await start();
    const response = await patch(app, { DSPY_DELEGATE_LM_MODEL: 'openai/fine', [key]: value });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'invalid_setting',
      message: expect.stringMatching(message),
      details: { key },
    });
    expect(readdirSync(app.dir)).not.toContain('.env');
  });

  it('is refused outside APP_ENV=local', async () => {
    const app = await start({ APP_ENV: 'staging', AUTH_REQUIRED: 'true', CORS_ALLOWED_ORIGINS: 'https://x' });
    const response = await patch(app, { DSPY_LM_MODEL: 'openai/x' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({
      code: 'settings_read_only',
      message: expect.stringMatching(/APP_ENV=local/),
    });
    const status = await app.app.inject({ method: 'GET', url: '/api/v1/runtime/status' });
    expect(status.json().write_enabled).toBe(false);
  });

  it('puts the old .env back when the reload refuses the new settings', async () => {
    const app = await start(
      {},
      {
        reload: (env) => {
          if (env.DSPY_LM_MODEL === 'openai/refused')
            throw new ConfigError(['DSPY_LM_MODEL is refused by the test']);
        },
      },
    );
    writeFileSync(app.envPath, ENV_FILE);
    const response = await patch(app, { DSPY_LM_MODEL: 'openai/refused' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'invalid_setting',
      details: { problems: ['DSPY_LM_MODEL is refused by the test'] },
    });
    expect(readFileSync(app.envPath, 'utf8')).toBe(ENV_FILE);
    expect(app.config().lm.planner?.model).toBe('openai/planner');
    expect((await snapshot(app)).values.DSPY_LM_MODEL).toBe('openai/planner');
  });

  it('warns when the process environment will win over .env at the next start', async () => {
    const app = await start({}, { processEnv: { DSPY_LM_MODEL: 'openai/planner' } });
    const result: SettingsPatchResult = (await patch(app, { DSPY_LM_MODEL: 'openai/other' })).json();
    expect(result.warnings).toEqual([
      expect.stringMatching(/^DSPY_LM_MODEL is also set in the server's environment/),
    ]);
  });

  it('clears the cached LM test, which said nothing about the new settings', async () => {
    const app = await start();
    apps.lm.script([{ model: 'planner', reply: 'OK' }]);
    await app.app.inject({ method: 'POST', url: '/api/v1/runtime/tests/lm' });
    expect(app.tests.get('lm')?.ok).toBe(true);
    await patch(app, { DAYTONA_TARGET: 'us' });
    expect(app.tests.get('lm')?.ok).toBe(true);
    await patch(app, { DSPY_LM_MAX_TOKENS: '2048' });
    expect(app.tests.get('lm')).toBeNull();
  });

  it('serialises concurrent patches', async () => {
    const app = await start();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_unused, index) =>
        patch(app, { DAYTONA_TARGET: `t${index}`, DSPY_LM_MAX_TOKENS: `${index + 1}` }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(new Array(8).fill(200));
    const values = parseEnv(readFileSync(app.envPath, 'utf8'));
    expect(values).toEqual({ DAYTONA_TARGET: 't7', DSPY_LM_MAX_TOKENS: '8' });
  });
});

describe('env-file', () => {
  it.each([
    'plain',
    '',
    'with spaces',
    'has#hash',
    "it's",
    'say "hi"',
    `both ' and "`,
    'back\\slash',
    'literal \\n stays',
    '$HOME not expanded',
  ])('writes %j so that parseEnv reads it back exactly', (value) => {
    const line = formatEnvLine('KEY', value);
    expect(line).toBeDefined();
    expect(parseEnv(line!)).toEqual({ KEY: value });
  });

  it('keeps CRLF files CRLF and rewrites every occurrence of a key', () => {
    const text = 'A=1\r\nB=2\r\nA=3\r\n';
    expect(applyEnvLines(text, new Map([['A', 'A=9']]))).toBe('A=9\r\nB=2\r\nA=9\r\n');
  });
});
