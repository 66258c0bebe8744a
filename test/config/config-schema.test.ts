/**
 * The configuration as one zod schema whose leaves carry their environment names: the reader
 * (every kind of bad value named with the variable that held it, all at once; aliases), the
 * list of settings the schema yields, and Daytona's settings inside it.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, configSettings, loadConfig } from '../../src/config/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the configuration reader', () => {
  it('names every bad value with its variable, every kind of value, all in one error', () => {
    expect(
      problems({
        FLEET_MODEL_PRICES: '{oops',
        RLM_MAX_DEPTH: 'deep',
        RLM_RUN_TIMEOUT: 'soon',
        RLM_MAX_COST: '-1',
        SANDBOX_PROVIDER: 'docker',
        SANDBOX_WARM_POOL: '-1',
        FLEET_PORT: '70000',
        CORS_ALLOWED_ORIGINS: 'app.example',
        TRUST_PROXY: 'proxy.internal',
        METRICS_TOKEN: 'short',
        AUTH_REQUIRED: 'maybe',
        ADMIN_USERS: 'a/b/c',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'no-equals-sign',
      }),
    ).toEqual([
      expect.stringMatching(/^FLEET_MODEL_PRICES must be JSON: /),
      "RLM_MAX_DEPTH must be an integer >= 0; got 'deep'",
      "RLM_RUN_TIMEOUT must be a positive number; got 'soon'",
      "RLM_MAX_COST must be a positive number; got '-1'",
      "SANDBOX_PROVIDER must be one of pyodide, process, daytona; got 'docker'",
      "SANDBOX_WARM_POOL must be an integer >= 0; got '-1'",
      "FLEET_PORT must be a port number (0-65535); got '70000'",
      expect.stringMatching(/^CORS_ALLOWED_ORIGINS entries must be origins like .*; got 'app.example'$/),
      expect.stringMatching(/^TRUST_PROXY must be true, false, a hop count, .*; got 'proxy.internal'$/),
      'METRICS_TOKEN must be at least 16 characters (a long random value)',
      "AUTH_REQUIRED must be true or false; got 'maybe'",
      expect.stringMatching(/^ADMIN_USERS entries must be a user id or workspace\/user .*; got 'a\/b\/c'$/),
      "OTEL_EXPORTER_OTLP_TRACES_HEADERS must be key=value pairs separated by commas; got 'no-equals-sign'",
    ]);
  });

  it('says what is wrong with JSON of the wrong shape', () => {
    expect(problems({ FLEET_MODEL_PRICES: '{"openai/x": {"input": -1}}' })).toEqual([
      expect.stringMatching(/^FLEET_MODEL_PRICES has the wrong shape: /),
    ]);
  });

  it('reads an alias when the name itself is unset, and names the alias it read in a problem', () => {
    const config = loadConfig({
      DSPY_LM_MODEL: 'openai/x',
      DSPY_LM_API_KEY: 'sk-from-alias',
      ENTRA_JWKS_URL: 'https://login.example/keys',
      ENTRA_AUDIENCE: 'api://fleet',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=from%20alias',
    });
    expect(config.lm.planner?.apiKey).toBe('sk-from-alias');
    expect(config.auth).toMatchObject({ jwksUrl: 'https://login.example/keys', audience: 'api://fleet' });
    expect(config.observability.otlp.headers).toEqual({ 'x-api-key': 'from alias' });
    // The name wins over its alias.
    expect(
      loadConfig({ AUTH_JWKS_URL: 'https://a.example/keys', ENTRA_JWKS_URL: 'https://b.example/keys' }).auth
        .jwksUrl,
    ).toBe('https://a.example/keys');
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: 'broken' })).toEqual([
      "OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas; got 'broken'",
    ]);
  });

  it('treats an empty or blank variable as unset', () => {
    const config = loadConfig({ RLM_MAX_DEPTH: '   ', DSPY_LM_MODEL: '', SANDBOX_PROVIDER: ' process ' });
    expect(config.rlm.maxDepth).toBe(2);
    expect(config.lm.planner).toBeUndefined();
    expect(config.sandbox.provider).toBe('process');
  });
});

describe('Daytona settings', () => {
  it('are part of the configuration', () => {
    const config = loadConfig({
      DAYTONA_API_KEY: 'dtn_key',
      DAYTONA_API_URL: 'https://app.daytona.io/api',
      DAYTONA_TARGET: 'eu',
    });
    expect(config.daytona).toEqual({
      apiKey: 'dtn_key',
      apiUrl: 'https://app.daytona.io/api',
      target: 'eu',
      legacyApiBaseUrl: undefined,
    });
  });

  it('refuse the legacy DAYTONA_API_BASE_URL when Daytona runs the code, with the fix, among the other problems', () => {
    expect(
      problems({
        SANDBOX_PROVIDER: 'daytona',
        DAYTONA_API_BASE_URL: 'https://app.daytona.io/api',
        RLM_MAX_DEPTH: 'deep',
      }),
    ).toEqual([
      "RLM_MAX_DEPTH must be an integer >= 0; got 'deep'",
      'DAYTONA_API_BASE_URL is not supported: rename it to DAYTONA_API_URL',
    ]);
    // With another sandbox the server still starts, and the status route reports it.
    expect(loadConfig({ DAYTONA_API_BASE_URL: 'https://x' }).daytona.legacyApiBaseUrl).toBe('https://x');
  });
});

describe('the settings list the schema yields', () => {
  it('has one entry per variable, with unique names and aliases and a doc for each', () => {
    const settings = configSettings();
    const names = settings.flatMap((setting) => [setting.env, ...setting.aliases]);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining(['RLM_MAX_ITERATIONS', 'DAYTONA_API_KEY', 'DSPY_LM_API_KEY']),
    );
    for (const setting of settings) expect(setting.doc.length, setting.env).toBeGreaterThan(5);
  });

  it('reads every variable it lists (a set variable changes the configuration)', () => {
    // With every model role set, so that each role's key and base are read too.
    const models = {
      DSPY_LM_MODEL: 'openai/m',
      DSPY_DELEGATE_LM_MODEL: 'openai/d',
      DSPY_DELEGATE_LM_SMALL_MODEL: 'openai/s',
    };
    const defaults = JSON.stringify(loadConfig(models));
    for (const setting of configSettings()) {
      for (const name of [setting.env, ...setting.aliases]) {
        if (name in models) continue;
        const changed = JSON.stringify(loadConfig({ ...models, [name]: setting.example }));
        expect(changed, `${name}=${setting.example}`).not.toBe(defaults);
      }
    }
  });
});
