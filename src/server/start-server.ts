/**
 * The composition root of `fleet-rlm serve`: opens the store, builds the event pipeline, the
 * models, the sandbox pool, the agent and the turn runner, closes turns a crash left running,
 * then listens. `close()` drains: not ready and no new turns, sessions or sockets
 * (server-lifecycle.ts), running ones get a grace period and are then cancelled, frames are
 * flushed, sockets are closed with 1001, sandboxes and the database are closed.
 */
import { join, resolve } from 'node:path';
import type { FastifyServerOptions } from 'fastify';
import { ChatAgent } from '../agent/chat-agent.js';
import { type Config, ConfigError, type Env, processEnvironment } from '../config/config.js';
import { deploymentProblems } from '../config/deployment-checks.js';
import { LiveConfig } from '../config/live-config.js';
import { ExecutionEventEmitter } from '../events/execution-event-emitter.js';
import { MemoryEventBus } from '../events/memory-event-bus.js';
import { AiSdkLmClient, type AiSdkLmClientOptions } from '../lm/ai-sdk-client.js';
import { createSandbox } from '../sandbox/create-sandbox.js';
import { SandboxPool } from '../sandbox/sandbox-pool.js';
import { SessionAccess } from '../sessions/session-access.js';
import { SessionSandboxes } from '../sessions/session-sandboxes.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { configuredSecrets } from '../tracing/redaction.js';
import { TurnRunner } from '../turns/turn-runner.js';
import { type App, buildApp } from './app.js';
import { Authenticator } from './auth/authenticator.js';
import { startObservability } from './observability.js';
import { RuntimeTestCache } from './runtime/runtime-test-cache.js';
import type { ServerContext } from './server-context.js';
import { ServerLifecycle } from './server-lifecycle.js';

export interface RunningServer {
  app: App;
  context: ServerContext;
  /** Every store seam (the server's parts each got only theirs), for benchmarks and tests. */
  store: Store;
  url: string;
  /** Exports every span finished so far (benchmarks and tests wait on it). */
  flushTraces(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  version: string;
  logger?: FastifyServerOptions['logger'];
  drainGraceMs?: number;
  /** Benchmarks answer model calls in process through a custom fetch. */
  lm?: AiSdkLmClientOptions;
  /** The environment `config` was loaded from (settings routes show and edit it). */
  env?: Env;
  /** The `.env` file a settings PATCH writes. Default: ./.env */
  envPath?: string;
}

const HOUR = 3_600_000;
const DRAIN_GRACE_MS = 10_000;

export async function startServer(
  config: Config,
  options: StartOptions = { version: '0.0.0' },
): Promise<RunningServer> {
  const problems = deploymentProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  const logger = options.logger ?? { level: config.server.logLevel };
  const store = await openStore(config);
  const live = new LiveConfig({ config, env: options.env ?? processEnvironment() });
  const observability = startObservability({ config, store, version: options.version });
  const { log, metrics, observers } = observability;
  const bus = new MemoryEventBus();
  const emitter = new ExecutionEventEmitter(store, bus, { replayLimit: config.events.replayLimit, log });
  const lm = new AiSdkLmClient(config.lm, { ...options.lm, onLmCall: (record) => observers.lmCall(record) });
  const pool = new SandboxPool({
    create: () =>
      createSandbox({
        ...config.sandbox,
        cacheDir: config.cacheDir,
        onExecute: (provider) => metrics.sandboxExecutions.inc({ provider }),
      }),
    warm: config.sandbox.warm,
    maxLive: config.sandbox.maxLive,
    idleTimeoutMs: config.sandbox.idleTimeoutMs,
    log,
  });
  pool.warmUp();
  metrics.observeSandboxPool(() => pool.stats());
  metrics.eventFrames.collectWith((counter) => counter.setTotal(emitter.stats().emitted));
  metrics.eventFramesNotDurable.collectWith((counter) => counter.setTotal(emitter.stats().notDurable));
  const sandboxes = new SessionSandboxes(pool, {
    idleMs: config.sandbox.idleTimeoutMs,
    maxPerUser: config.quotas.sandboxesPerUser,
  });
  const sessions = new SessionAccess({
    store,
    sandboxes,
    workspaceRoot: (workspaceId, sessionId) => join(config.dataDir, 'workspaces', workspaceId, sessionId),
  });
  const agent = new ChatAgent({ lm, pool, config, log });
  const runner = new TurnRunner({
    store,
    sessions,
    turnsPerUser: config.quotas.turnsPerUser,
    emitter,
    agent,
    plannerConfigured: () => lm.resolve('planner') !== undefined,
    log,
    redact: (text) => observability.redactor.text(text),
    tracing: observability.tracing,
    observers,
    turnOutput: { maxEvents: config.events.turnMaxOutputEvents, maxBytes: config.events.turnMaxOutputBytes },
    runtime: {
      maxDepth: config.rlm.maxDepth,
      agentMaxIterations: config.agent.maxIterations,
      rlmMaxIterations: config.rlm.maxIterations,
      sandboxProvider: config.sandbox.provider,
    },
  });
  // Models are the hot-reloadable part (with Daytona's credentials, which are read per use);
  // everything else takes effect at the next start (LiveConfig.takesEffect).
  live.onChange((next) => {
    lm.reconfigure(next.lm);
    // A new key is redacted from now on; the old one stays redacted too.
    observability.redactor.add(configuredSecrets(next));
  });
  const lifecycle = new ServerLifecycle();
  const recovered = await runner.recover();
  if (recovered > 0) log(`closed ${recovered} turn(s) left running by the previous process`);
  const context: ServerContext = {
    get config() {
      return live.current();
    },
    version: options.version,
    store,
    bus,
    emitter,
    runner,
    sessions,
    pool,
    lm,
    authenticator: new Authenticator(config.auth),
    traces: observability.traces,
    feedback: observability.feedback,
    metrics,
    redactor: observability.redactor,
    lifecycle,
    runtime: {
      tests: new RuntimeTestCache(),
      sources: {
        config: () => live.current(),
        lm: () => lm,
        store,
        sandboxStats: () => pool.stats(),
        mlflowStatus: observability.mlflowRuntimeStatus,
        posthogStatus: () => observability.posthog.status(),
      },
      settings: {
        envPath: options.envPath ?? resolve('.env'),
        live,
        processEnv: processEnvironment(),
      },
    },
  };
  const app = await buildApp(context, logger);
  await app.listen({ host: config.server.host, port: config.server.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const url = `http://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${port}`;
  const retention = setInterval(() => {
    const before = Date.now() - config.database.retentionDays * 24 * HOUR;
    store
      .purgeArchivedSessions(before)
      .catch((error: unknown) => log(`purging archived sessions failed: ${String(error)}`));
  }, HOUR);
  retention.unref();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // From here probes see 503 and new sessions, turns and sockets are refused.
      lifecycle.beginDrain();
      clearInterval(retention);
      await runner.drain(options.drainGraceMs ?? DRAIN_GRACE_MS);
      // The turns' last frames are out; then each socket is told why it closes.
      await lifecycle.closeSockets(app.websocketServer);
      await observability.shutdown();
      await app.close();
      await sandboxes.shutdown();
      await pool.shutdown();
      await bus.close();
      await store.close();
    })();
    return closing;
  };
  return { app, context, store, url, flushTraces: () => observability.tracing.forceFlush(), close };
}
