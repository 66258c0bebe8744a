/**
 * `GET /api/v1/runtime/status` and the connectivity tests over HTTP, with a real model client
 * talking to the scripted OpenAI-compatible server.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectivityTest, RuntimeStatus } from '../../../src/contract/runtime-schemas.js';
import { type RuntimeApp, useRuntimeApps } from './runtime-app.js';

const KEY = 'sk-test-planted-runtime-key-0123456789';

const apps = useRuntimeApps();

async function start(env: Record<string, string>, testTimeoutMs?: number): Promise<RuntimeApp> {
  return apps.start({ env, testTimeoutMs });
}

function configured(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DSPY_LM_MODEL: 'openai/planner',
    DSPY_DELEGATE_LM_MODEL: 'openai/delegate',
    DSPY_LM_API_BASE: apps.lm.baseUrl,
    DSPY_LLM_API_KEY: KEY,
    ...extra,
  };
}

async function status(app: RuntimeApp): Promise<RuntimeStatus> {
  const response = await app.app.inject({ method: 'GET', url: '/api/v1/runtime/status' });
  expect(response.statusCode).toBe(200);
  return response.json();
}

async function test(app: RuntimeApp, kind: 'lm' | 'daytona'): Promise<ConnectivityTest> {
  const response = await app.app.inject({ method: 'POST', url: `/api/v1/runtime/tests/${kind}` });
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe('GET /api/v1/runtime/status', () => {
  it('says what is missing and how to fix it when no model is set', async () => {
    const app = await start({});
    const body = await status(app);
    expect(body).toMatchObject({
      app_env: 'local',
      write_enabled: true,
      ready: false,
      sandbox_provider: 'pyodide',
      active_models: { planner: '', delegate: '', delegate_small: '' },
      llm: { model_set: false, api_key_set: false, planner_configured: false },
      mlflow: { enabled: true, startup_status: 'ready', startup_error: null },
      // Daytona does not run the code: nothing about it may read as a failure.
      daytona: {
        api_key_set: false,
        api_url_set: false,
        target_set: false,
        configured: null,
        applicable: false,
        guidance: [],
      },
      tests: { lm: null, daytona: null },
      database: { status: 'ready', dialect: 'sqlite' },
      sandbox: { provider: 'pyodide', warm: 0, live: 0, cap: 3, waiting: 0 },
      posthog: { enabled: false, status: 'disabled', error: null },
    });
    expect(body.guidance[0]).toMatch(/^Set DSPY_LM_MODEL=openai\/gpt-4\.1-mini .*and DSPY_LLM_API_KEY$/);
    // Daytona is not the sandbox provider: its missing credentials are no reason to nag.
    expect(body.guidance.join('\n')).not.toMatch(/DAYTONA/);
    expect(body.daytona.checks.map((check) => check.name)).toEqual([
      'api_key_set',
      'api_url_set',
      'api_url_parses',
      'target_set',
      'legacy_api_base_url_ok',
    ]);
  });

  it('is ready once everything is set and the cached LM test passed', async () => {
    const app = await start(configured());
    const before = await status(app);
    expect(before).toMatchObject({
      ready: false,
      active_models: {
        planner: 'openai/planner',
        delegate: 'openai/delegate',
        delegate_small: 'openai/delegate',
      },
      llm: { model_set: true, api_key_set: true, planner_configured: true },
    });
    expect(before.guidance).toEqual([
      'Run POST /api/v1/runtime/tests/lm to check the planner model end to end',
    ]);

    apps.lm.script([{ model: 'planner', reply: 'OK' }]);
    const result = await test(app, 'lm');
    const after = await status(app);
    expect(after.ready).toBe(true);
    expect(after.guidance).toEqual([]);
    expect(after.tests.lm).toEqual(result);
  });

  it('reports degraded services and a missing database with guidance', async () => {
    const app = await start(configured({ DATABASE_REQUIRED: 'true' }));
    app.mlflow.startupStatus = 'degraded';
    app.mlflow.startupError = 'nothing answers at http://127.0.0.1:5001; start `fleet-rlm mlflow-server`';
    app.database.ok = false;
    const body = await status(app);
    expect(body.ready).toBe(false);
    expect(body.database.status).toBe('degraded');
    expect(body.mlflow).toMatchObject({ startup_status: 'degraded', startup_error: app.mlflow.startupError });
    expect(body.guidance).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/database does not answer and DATABASE_REQUIRED=true/),
        expect.stringMatching(/^MLflow tracing is degraded: nothing answers .* MLFLOW_ENABLED=false/),
      ]),
    );
    // Turning MLflow off is offered once, in that line, not in every hint.
    expect(body.guidance.join('\n').match(/MLFLOW_ENABLED=false/g)).toHaveLength(1);
  });

  it('asks for Daytona credentials when Daytona runs the sandboxes', async () => {
    const app = await start(configured({ SANDBOX_PROVIDER: 'daytona' }));
    const body = await status(app);
    expect(body.sandbox_provider).toBe('daytona');
    expect(body.guidance).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Set DAYTONA_API_KEY/),
        expect.stringMatching(/^Set DAYTONA_API_URL/),
      ]),
    );
    // Here a missing credential is a real failure, and says so as before.
    expect(body.daytona).toMatchObject({ configured: false, applicable: true });
    expect(body.daytona.guidance).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Set DAYTONA_API_KEY/)]),
    );
  });
});

describe('POST /api/v1/runtime/tests/lm', () => {
  it('makes a planner round trip and reports latency and an output preview', async () => {
    const app = await start(configured());
    apps.lm.script([{ model: 'planner', reply: { text: 'OK', delayMs: 30 } }]);
    const result = await test(app, 'lm');
    expect(result).toMatchObject({
      kind: 'lm',
      ok: true,
      preflight_ok: true,
      output_preview: 'OK',
      guidance: [],
    });
    expect(result.error).toBeUndefined();
    expect(result.latency_ms).toBeGreaterThanOrEqual(25);
    expect(Date.parse(result.checked_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(result.checks).toEqual([
      { name: 'model_set', ok: true, detail: 'DSPY_LM_MODEL is openai/planner' },
      { name: 'model_parses', ok: true, detail: 'provider openai, model planner' },
      { name: 'api_key_set', ok: true, detail: 'DSPY_LLM_API_KEY is set' },
    ]);
    const [request] = apps.lm.requests;
    expect(request?.messages).toEqual([{ role: 'user', content: 'Reply with exactly OK' }]);
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('reports a rejected key without ever showing it, with guidance, cached into status', async () => {
    const app = await start(configured());
    apps.lm.script([
      {
        model: 'planner',
        reply: {
          status: 401,
          errorBody: {
            error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' },
          },
        },
      },
    ]);
    const response = await app.app.inject({ method: 'POST', url: '/api/v1/runtime/tests/lm' });
    expect(response.body).not.toContain(KEY);
    const result: ConnectivityTest = response.json();
    expect(result).toMatchObject({ kind: 'lm', ok: false, preflight_ok: true });
    expect(result.error).toMatch(/HTTP 401/);
    expect(result.error).toContain('<redacted>');
    expect(result.guidance).toEqual([expect.stringMatching(/rejected the API key: check DSPY_LLM_API_KEY/)]);

    const statusResponse = await app.app.inject({ method: 'GET', url: '/api/v1/runtime/status' });
    expect(statusResponse.body).not.toContain(KEY);
    const body: RuntimeStatus = statusResponse.json();
    expect(body.ready).toBe(false);
    expect(body.tests.lm?.ok).toBe(false);
    expect(body.guidance[0]).toMatch(/^The last LM test failed: .*HTTP 401/);
  });

  it('times out under its own short timeout', async () => {
    const app = await start(configured(), 300);
    apps.lm.script([{ model: 'planner', reply: { hang: true } }]);
    const result = await test(app, 'lm');
    expect(result).toMatchObject({ ok: false, preflight_ok: true });
    expect(result.error).toMatch(/did not answer within 300 ms/);
    expect(result.guidance).toEqual([expect.stringMatching(/^The planner did not answer within 0.3 s/)]);
  });

  it('stops at the preflight when the model or key is missing, without calling anything', async () => {
    apps.lm.script([]);
    const app = await start({ DSPY_LM_MODEL: 'openai/gpt-4.1-mini' });
    const result = await test(app, 'lm');
    expect(result).toMatchObject({
      kind: 'lm',
      ok: false,
      preflight_ok: false,
      error: 'LM preflight checks failed',
    });
    expect(result.checks.find((check) => check.name === 'api_key_set')).toMatchObject({ ok: false });
    expect(result.guidance).toEqual([expect.stringMatching(/^Set DSPY_LLM_API_KEY to your openai API key/)]);
    await app.close();

    const unparsable = await start({ DSPY_LM_MODEL: 'gpt-4.1-mini' });
    const bad = await test(unparsable, 'lm');
    expect(bad.checks.find((check) => check.name === 'model_parses')).toMatchObject({ ok: false });
    expect(bad.guidance[0]).toMatch(/^Fix DSPY_LM_MODEL: model 'gpt-4.1-mini' .*has no provider/);
    expect(apps.lm.requests).toHaveLength(0);
  });

  it('needs no key for a local OpenAI-compatible server', async () => {
    const app = await start({ DSPY_LM_MODEL: 'openai/planner', DSPY_LM_API_BASE: apps.lm.baseUrl });
    apps.lm.script([{ model: 'planner', reply: 'OK' }]);
    const result = await test(app, 'lm');
    expect(result.ok).toBe(true);
    expect(result.checks.at(-1)).toMatchObject({
      name: 'api_key_set',
      ok: true,
      detail: expect.stringMatching(/^not needed/),
    });
  });
});

describe('POST /api/v1/runtime/tests/daytona', () => {
  it('fails the preflight without credentials and says what to set', async () => {
    const app = await start(configured());
    const result = await test(app, 'daytona');
    expect(result).toMatchObject({ kind: 'daytona', ok: false, preflight_ok: false });
    expect(result.guidance).toEqual([
      expect.stringMatching(/^Set DAYTONA_API_KEY/),
      expect.stringMatching(/^Set DAYTONA_API_URL/),
    ]);
    // The sandbox is not Daytona: the failed test is the answer, never a failure in status.
    expect((await status(app)).tests.daytona).toBeNull();
  });

  it('rejects DAYTONA_API_BASE_URL and a URL that does not parse', async () => {
    const app = await start(
      configured({
        DAYTONA_API_KEY: 'dtn_key',
        DAYTONA_API_BASE_URL: 'https://x',
        DAYTONA_API_URL: 'ftp://x',
      }),
    );
    const result = await test(app, 'daytona');
    expect(result.preflight_ok).toBe(false);
    expect(result.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([
      'api_url_parses',
      'legacy_api_base_url_ok',
    ]);
    expect(result.guidance).toEqual([
      'DAYTONA_API_BASE_URL is not supported: rename it to DAYTONA_API_URL',
      expect.stringMatching(/^Fix DAYTONA_API_URL: 'ftp:\/\/x' must start with http/),
    ]);
  });

  it('passes the preflight with complete credentials; Daytona mode then counts it for ready', async () => {
    const app = await start(
      configured({
        SANDBOX_PROVIDER: 'daytona',
        DAYTONA_API_KEY: 'dtn_planted_daytona_key_0123456789',
        DAYTONA_API_URL: 'https://app.daytona.io/api',
        DAYTONA_TARGET: 'eu',
      }),
    );
    apps.lm.script([{ model: 'planner', reply: 'OK' }]);
    await test(app, 'lm');
    const before = await status(app);
    expect(before.ready).toBe(false);
    expect(before.guidance).toEqual([
      'Run POST /api/v1/runtime/tests/daytona to check the Daytona credentials',
    ]);
    const result = await test(app, 'daytona');
    expect(result).toMatchObject({ kind: 'daytona', ok: true, preflight_ok: true });
    expect(result.output_preview).toMatch(/preflight only/);
    const after = await status(app);
    expect(after.ready).toBe(true);
    expect(after.daytona).toMatchObject({
      api_key_set: true,
      api_url_set: true,
      target_set: true,
      configured: true,
      applicable: true,
    });
    expect(after.tests.daytona).toEqual(result);
    expect(JSON.stringify(after)).not.toContain('dtn_planted_daytona_key_0123456789');
  });
});
