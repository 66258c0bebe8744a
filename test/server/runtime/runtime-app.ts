/**
 * A minimal Fastify app with only the runtime and metrics routes, wired the way the composition
 * root wires them: a real live configuration from an env object, a real AiSdkLmClient aimed at
 * the scripted OpenAI-compatible server (rebuilt when the live configuration changes), a real
 * (empty) sandbox pool, a real PostHog observer, and a temp `.env`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { PosthogObserver } from '../../../src/analytics/posthog-observer.js';
import { type Config, type Env, loadConfig } from '../../../src/config/config.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { AiSdkLmClient } from '../../../src/lm/ai-sdk-client.js';
import { SandboxPool } from '../../../src/sandbox/sandbox-pool.js';
import { sendError } from '../../../src/server/http-error.js';
import { metricsRoutes } from '../../../src/server/routes/metrics-routes.js';
import { runtimeRoutes } from '../../../src/server/routes/runtime-routes.js';
import type { MlflowStatus, RuntimeSources } from '../../../src/server/runtime/runtime-sources.js';
import { RuntimeTestCache } from '../../../src/server/runtime/runtime-test-cache.js';
import { fleetMetrics } from '../../../src/tracing/metrics.js';
import { ScriptedLmServer } from '../../support/scripted-lm-server.js';

export interface RuntimeApp {
  app: FastifyInstance;
  dir: string;
  envPath: string;
  tests: RuntimeTestCache;
  metrics: ReturnType<typeof fleetMetrics>;
  mlflow: MlflowStatus;
  database: { ok: boolean };
  /** Environments `reload` was called with. */
  reloads: Env[];
  config(): Config;
  close(): Promise<void>;
}

export interface RuntimeAppOptions {
  env: Env;
  /** Variables "set outside .env". */
  processEnv?: Env;
  /** Called before each reload reads the new environment; throw ConfigError to refuse it. */
  reload?: (env: Env) => void;
  testTimeoutMs?: number;
}

export async function startRuntimeApp(options: RuntimeAppOptions): Promise<RuntimeApp> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-runtime-test-'));
  const envPath = join(dir, '.env');
  const baseEnv: Env = { FLEET_DATA_DIR: join(dir, 'data'), LM_MAX_RETRIES: '0', ...options.env };
  const reloads: Env[] = [];
  const live = new LiveConfig({
    config: loadConfig(baseEnv),
    env: baseEnv,
    read: (env) => {
      options.reload?.(env);
      reloads.push(env);
      return loadConfig(env);
    },
  });
  const config = () => live.current();
  let lm = new AiSdkLmClient(config().lm);
  live.onChange((next) => {
    lm = new AiSdkLmClient(next.lm);
  });
  const pool = new SandboxPool({
    create: () => Promise.reject(new Error('no sandboxes in this test')),
    warm: 0,
    maxLive: 3,
    idleTimeoutMs: 60_000,
  });
  const posthog = new PosthogObserver({
    config: config().observability.posthog,
    startup: { appEnv: config().appEnv, authMode: 'dev', databaseRequired: false, version: 'test' },
  });
  const mlflow: MlflowStatus = { enabled: true, startupStatus: 'ready' };
  const database = { ok: true };
  const tests = new RuntimeTestCache();
  const metrics = fleetMetrics();
  metrics.observeSandboxPool(() => pool.stats());

  const sources: RuntimeSources = {
    config,
    lm: () => lm,
    store: { dialect: 'sqlite', ping: async () => database.ok },
    sandboxStats: () => pool.stats(),
    mlflowStatus: () => mlflow,
    posthogStatus: () => posthog.status(),
  };
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  await app.register(
    runtimeRoutes({
      sources,
      tests,
      testTimeoutMs: options.testTimeoutMs,
      settings: { envPath, live, processEnv: options.processEnv },
    }),
  );
  await app.register(metricsRoutes(metrics.registry));
  await app.ready();
  return {
    app,
    dir,
    envPath,
    tests,
    metrics,
    mlflow,
    database,
    reloads,
    config,
    close: async () => {
      await app.close();
      await pool.shutdown();
      await posthog.shutdown();
    },
  };
}

export interface RuntimeApps {
  /** The file's scripted model server (set once the file's `beforeAll` ran). */
  readonly lm: ScriptedLmServer;
  /** Starts an app, closed after the test (the latest one, as each test starts one at a time). */
  start(options: RuntimeAppOptions): Promise<RuntimeApp>;
}

/** The hooks a runtime test file needs: one scripted model server, and each test's app closed after it. */
export function useRuntimeApps(): RuntimeApps {
  let lm: ScriptedLmServer | undefined;
  let current: RuntimeApp | undefined;
  beforeAll(async () => {
    lm = await ScriptedLmServer.start();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  afterAll(async () => {
    await lm?.close();
  });
  return {
    get lm() {
      if (!lm) throw new Error('the scripted model server starts in beforeAll');
      return lm;
    },
    async start(options) {
      current = await startRuntimeApp(options);
      return current;
    },
  };
}
