/**
 * Assembles `GET /runtime/status`: what is configured, what answers, the cached connectivity
 * tests, and `guidance` — concrete fix-it lines, most blocking first, without duplicates.
 *
 * `ready` follows fleet-rlm (Python): the server can take turns (a usable planner, and a
 * database unless none is required) AND the cached LM test passed. A delegate model that cannot
 * be used adds guidance but does not make the server unready (runtime/model-checks.ts says why). The Daytona test counts only when
 * Daytona is the sandbox provider: the embedded sandboxes need no credentials. Otherwise the
 * `daytona` object says so (`applicable: false`, `configured: null`, no guidance, no cached test),
 * since the original Workbench refuses to send when `configured` is false or a test failed.
 */
import type { ConnectivityTest, RuntimeStatus } from '../../contract/runtime-schemas.js';
import { redactText } from '../../tracing/redaction.js';
import { type DaytonaSettings, daytonaPreflight } from './daytona-settings.js';
import { lmPreflight } from './lm-preflight.js';
import { delegateGuidance, modelReadiness } from './model-checks.js';
import type { RuntimeSources } from './runtime-sources.js';
import type { RuntimeTestCache } from './runtime-test-cache.js';

/** A database that does not answer within this long counts as degraded. */
const PING_TIMEOUT_MS = 2000;

export async function buildRuntimeStatus(
  sources: RuntimeSources,
  tests: RuntimeTestCache,
  daytona: DaytonaSettings,
): Promise<RuntimeStatus> {
  const config = sources.config();
  const lm = sources.lm();
  const llm = lmPreflight(config.lm);
  const daytonaCheck = daytonaPreflight(daytona);
  const usesDaytona = config.sandbox.provider === 'daytona';
  // Set is not enough: a planner string that does not parse runs no turn.
  const models = modelReadiness(config.lm);
  const plannerConfigured = models.planner === 'ready';
  const databaseOk = await ping(sources.store);
  const mlflow = sources.mlflowStatus();
  const posthog = sources.posthogStatus();
  const stats = sources.sandboxStats();
  const lmTest = tests.get('lm');
  const daytonaTest = tests.get('daytona');

  const serverReady = plannerConfigured && (databaseOk || !config.database.required);
  const ready = serverReady && lmTest?.ok === true && (!usesDaytona || daytonaTest?.ok === true);

  const guidance: string[] = [...llm.guidance, ...models.delegates.map(delegateGuidance)];
  if (!databaseOk) {
    guidance.push(
      config.database.required
        ? 'The database does not answer and DATABASE_REQUIRED=true: check DATABASE_URL and that the server is up'
        : 'The database does not answer: check DATABASE_URL (or unset it to use the embedded SQLite)',
    );
  }
  // Daytona's lines only matter when it runs the code; the embedded sandboxes need no credentials.
  if (usesDaytona) guidance.push(...daytonaCheck.guidance);
  for (const test of [lmTest, usesDaytona ? daytonaTest : null]) {
    if (test && !test.ok) guidance.push(...failedTestLines(test));
  }
  if (llm.ok && !lmTest)
    guidance.push('Run POST /api/v1/runtime/tests/lm to check the planner model end to end');
  if (usesDaytona && daytonaCheck.configured && !daytonaTest) {
    guidance.push('Run POST /api/v1/runtime/tests/daytona to check the Daytona credentials');
  }
  if (mlflow.enabled && mlflow.startupStatus === 'degraded') {
    guidance.push(
      `MLflow tracing is degraded${mlflow.startupError ? `: ${mlflow.startupError}` : ''}. Traces stay in ` +
        'the local store meanwhile (viewable through /api/v1/traces); MLFLOW_ENABLED=false turns MLflow off',
    );
  }
  if (posthog.status === 'degraded') {
    guidance.push(
      `PostHog analytics are degraded${posthog.error ? `: ${posthog.error}` : ''}. Check POSTHOG_API_KEY and POSTHOG_HOST, or set POSTHOG_ENABLED=false`,
    );
  }

  return {
    app_env: config.appEnv,
    write_enabled: config.appEnv === 'local',
    ready,
    sandbox_provider: config.sandbox.provider,
    active_models: {
      planner: lm.resolve('planner')?.model ?? '',
      delegate: lm.resolve('delegate')?.model ?? '',
      delegate_small: lm.resolve('delegate_small')?.model ?? '',
    },
    llm: { model_set: llm.modelSet, api_key_set: llm.apiKeySet, planner_configured: plannerConfigured },
    mlflow: {
      enabled: mlflow.enabled,
      auto_start_enabled: mlflow.enabled && config.observability.mlflow.autoStart,
      startup_status: mlflow.enabled ? mlflow.startupStatus : 'disabled',
      startup_error: mlflow.startupError ? redactText(mlflow.startupError) : null,
    },
    daytona: {
      api_key_set: daytona.apiKey !== undefined,
      api_url_set: daytona.apiUrl !== undefined,
      target_set: daytona.target !== undefined,
      legacy_api_base_url_ok: daytona.legacyApiBaseUrl === undefined,
      configured: usesDaytona ? daytonaCheck.configured : null,
      applicable: usesDaytona,
      checks: daytonaCheck.checks,
      guidance: usesDaytona ? daytonaCheck.guidance : [],
    },
    tests: { lm: lmTest, daytona: usesDaytona ? daytonaTest : null },
    guidance: dedupe(guidance),
    database: { status: databaseOk ? 'ready' : 'degraded', dialect: sources.store.dialect },
    sandbox: {
      provider: config.sandbox.provider,
      warm: stats.idle,
      live: stats.live,
      cap: stats.cap,
      waiting: stats.waiting,
    },
    posthog: { enabled: posthog.enabled, status: posthog.status, error: posthog.error ?? null },
  };
}

function failedTestLines(test: ConnectivityTest): string[] {
  const what = test.kind === 'lm' ? 'The last LM test failed' : 'The last Daytona test failed';
  return [`${what}${test.error ? `: ${test.error}` : ''}`, ...test.guidance];
}

async function ping(store: RuntimeSources['store']): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([store.ping().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines.map((line) => line.trim()).filter(Boolean))];
}
