import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadEnvFile } from '../../src/config/config.js';
import { deploymentProblems } from '../../src/config/deployment-checks.js';

describe('loadConfig', () => {
  it('has working defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.appEnv).toBe('local');
    expect(config.sandbox).toMatchObject({ provider: 'pyodide', warm: 1, maxLive: 4, memoryLimitMb: 2048 });
    expect(config.rlm).toMatchObject({
      maxIterations: 30,
      maxLlmCalls: 50,
      maxDepth: 2,
      maxOutputChars: 10_000,
    });
    expect(config.lm.timeoutMs).toBe(60_000);
    expect(config.lm.planner).toBeUndefined();
    // No cross-origin callers by default, local mode included (same-origin pages need no CORS).
    expect(config.server).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      corsOrigins: [],
      trustProxy: false,
      metricsToken: undefined,
    });
    expect(config.auth).toMatchObject({
      required: false,
      defaultWorkspaceId: 'default',
      defaultUserId: 'anonymous',
    });
    expect(config.agent).toMatchObject({
      maxIterations: 15,
      maxDelegationsPerTurn: 8,
      delegateResultChars: 8000,
    });
  });

  it("reads fleet-rlm (Python)'s model variables, with the delegate borrowing the planner's key and base", () => {
    const config = loadConfig({
      DSPY_LM_MODEL: 'openai/gpt-4.1',
      DSPY_LM_API_KEY: 'sk-alias',
      DSPY_LM_API_BASE: 'http://localhost:8000/v1',
      DSPY_LM_MAX_TOKENS: '4096',
      DSPY_DELEGATE_LM_MODEL: 'openai/gpt-4.1-mini',
      DSPY_DELEGATE_LM_SMALL_MODEL: 'openai/gpt-4.1-nano',
    });
    expect(config.lm.planner).toEqual({
      model: 'openai/gpt-4.1',
      apiKey: 'sk-alias',
      apiBase: 'http://localhost:8000/v1',
      maxTokens: 4096,
    });
    expect(config.lm.delegate).toEqual({
      model: 'openai/gpt-4.1-mini',
      apiKey: 'sk-alias',
      apiBase: 'http://localhost:8000/v1',
      maxTokens: 4096,
    });
    expect(config.lm.delegateSmall?.model).toBe('openai/gpt-4.1-nano');
    expect(
      loadConfig({ DSPY_LLM_API_KEY: 'a', DSPY_LM_API_KEY: 'b', DSPY_LM_MODEL: 'x/y' }).lm.planner?.apiKey,
    ).toBe('a');
  });

  it('reads the document parse limits, with defaults of 200 MB, 100:1, 20 s, 1024 MB, 2 and 16', () => {
    expect(loadConfig({}).documents).toMatchObject({
      maxInflatedBytes: 200 * 1024 * 1024,
      maxCompressionRatio: 100,
      parseTimeoutMs: 20_000,
      workerHeapMb: 1024,
      maxParallelParses: 2,
      maxQueuedParses: 16,
    });
    expect(
      loadConfig({
        FLEET_DOCUMENT_MAX_INFLATED_BYTES: '1048576',
        FLEET_DOCUMENT_MAX_COMPRESSION_RATIO: '500',
        FLEET_DOCUMENT_PARSE_TIMEOUT: '2.5',
        FLEET_DOCUMENT_WORKER_HEAP_MB: '256',
        FLEET_DOCUMENT_MAX_PARALLEL_PARSES: '4',
        FLEET_DOCUMENT_MAX_QUEUED_PARSES: '0',
      }).documents,
    ).toMatchObject({
      maxInflatedBytes: 1_048_576,
      maxCompressionRatio: 500,
      parseTimeoutMs: 2_500,
      workerHeapMb: 256,
      maxParallelParses: 4,
      maxQueuedParses: 0,
    });
    expect(() =>
      loadConfig({ FLEET_DOCUMENT_WORKER_HEAP_MB: '16', FLEET_DOCUMENT_PARSE_TIMEOUT: '0' }),
    ).toThrow(
      /FLEET_DOCUMENT_PARSE_TIMEOUT must be a positive number; got '0'[\s\S]*FLEET_DOCUMENT_WORKER_HEAP_MB must be an integer >= 64; got '16'/,
    );
  });

  it('reports every bad value at once, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig({
        RLM_MAX_DEPTH: 'deep',
        SANDBOX_PROVIDER: 'docker',
        AUTH_REQUIRED: 'maybe',
        RLM_MAX_COST: '-1',
        FLEET_MODEL_PRICES: '{oops',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      expect.stringContaining('FLEET_MODEL_PRICES must be JSON'),
      "RLM_MAX_DEPTH must be an integer >= 0; got 'deep'",
      "RLM_MAX_COST must be a positive number; got '-1'",
      "SANDBOX_PROVIDER must be one of pyodide, process, daytona; got 'docker'",
      "AUTH_REQUIRED must be true or false; got 'maybe'",
    ]);
  });

  it('reads the limits on what a sandbox and a turn may send, with defaults and clear errors', () => {
    const MB = 1024 * 1024;
    expect(loadConfig({}).sandbox).toMatchObject({
      maxOutputBytes: 16 * MB,
      maxCallBytes: 128 * MB,
      maxCalls: 2000,
      maxLineBytes: 64 * MB,
    });
    expect(loadConfig({}).events).toMatchObject({ turnMaxOutputEvents: 2000, turnMaxOutputBytes: 4 * MB });
    const config = loadConfig({
      SANDBOX_MAX_OUTPUT_BYTES: String(8 * MB),
      SANDBOX_MAX_LINE_BYTES: String(32 * MB),
      TURN_MAX_OUTPUT_EVENTS: '50',
    });
    expect(config.sandbox).toMatchObject({ maxOutputBytes: 8 * MB, maxLineBytes: 32 * MB });
    expect(config.events.turnMaxOutputEvents).toBe(50);
    expect(() => loadConfig({ SANDBOX_MAX_OUTPUT_BYTES: '16MB' })).toThrow(
      "SANDBOX_MAX_OUTPUT_BYTES must be an integer >= 65536; got '16MB'",
    );
  });

  it('reads .env under the environment: variables already set win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-env-'));
    const path = join(dir, '.env');
    writeFileSync(path, 'DSPY_LM_MODEL=openai/from-file\nRLM_MAX_DEPTH=1\n');
    const env = loadEnvFile({ RLM_MAX_DEPTH: '3' }, path);
    expect(loadConfig(env).lm.planner?.model).toBe('openai/from-file');
    expect(loadConfig(env).rlm.maxDepth).toBe(3);
    expect(loadEnvFile({ A: '1' }, join(dir, 'missing.env'))).toEqual({ A: '1' });
  });

  it('refuses local-only shortcuts outside APP_ENV=local', () => {
    expect(deploymentProblems(loadConfig({}))).toEqual([]);
    expect(deploymentProblems(loadConfig({ APP_ENV: 'production' }))).toEqual([
      'AUTH_REQUIRED must be true outside APP_ENV=local',
      'DEV_JWT_SECRET is the default value; set a long random secret or AUTH_JWKS_URL',
    ]);
    const wildcard = loadConfig({
      APP_ENV: 'staging',
      AUTH_REQUIRED: 'true',
      DEV_JWT_SECRET: 'x'.repeat(40),
      CORS_ALLOWED_ORIGINS: '*',
    });
    expect(deploymentProblems(wildcard)).toEqual([
      'CORS_ALLOWED_ORIGINS must list origins outside APP_ENV=local, not *',
    ]);
    const safe = loadConfig({
      APP_ENV: 'production',
      AUTH_REQUIRED: 'true',
      AUTH_JWKS_URL: 'https://id.example/jwks',
      CORS_ALLOWED_ORIGINS: 'https://app.example',
    });
    expect(deploymentProblems(safe)).toEqual([]);
  });
});
