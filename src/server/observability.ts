/**
 * The server's observability, put together once: the deduplicating observer registry (metrics,
 * PostHog), MLflow's status following the server in the background from a lazy warm-up (after
 * auto-starting a local server when APP_ENV=local asks for it; its exit is noticed and logged;
 * each status request asks for a rate-limited re-check), the span pipeline with the embedded store and MLflow, and the
 * trace readers and feedback recorder the routes use. Secrets of the configuration are redacted
 * from spans, analytics and the log lines written through `log`; the same `redactor` serves the
 * server's other edges (request log, error frames and bodies).
 */
import { PosthogObserver } from '../analytics/posthog-observer.js';
import type { Config } from '../config/config.js';
import type { FeedbackStore } from '../store/feedback-store.js';
import type { TraceStore } from '../store/trace-store.js';
import { FeedbackRecorder } from '../tracing/feedback-recorder.js';
import { type FleetMetrics, fleetMetrics, MetricsObserver } from '../tracing/metrics.js';
import type { LocalMlflowServer } from '../tracing/mlflow/local-mlflow-server.js';
import { maybeAutoStartMlflow } from '../tracing/mlflow/local-mlflow-server.js';
import { MlflowStatus } from '../tracing/mlflow/mlflow-status.js';
import type { MlflowExportGate } from '../tracing/mlflow-span-exporter.js';
import { ObserverRegistry } from '../tracing/observer-registry.js';
import { configuredSecrets, SecretRedactor } from '../tracing/redaction.js';
import { TraceCatalog } from '../tracing/trace-catalog.js';
import { Tracing } from '../tracing/tracing.js';
import type { MlflowStatus as RuntimeMlflowStatus } from './runtime/runtime-sources.js';

export interface Observability {
  observers: ObserverRegistry;
  metrics: FleetMetrics;
  mlflow: MlflowStatus;
  tracing: Tracing;
  traces: TraceCatalog;
  feedback: FeedbackRecorder;
  posthog: PosthogObserver;
  /** The configured secrets and the redaction every edge applies. */
  redactor: SecretRedactor;
  /** Writes a line to stderr with every configured secret removed. */
  log(message: string): void;
  /** MLflow's state in the runtime status shape; asks for a (rate-limited) re-check. */
  mlflowRuntimeStatus(): RuntimeMlflowStatus;
  /** Stops MLflow's checks, flushes spans and analytics, then stops a local MLflow this server started. */
  shutdown(): Promise<void>;
}

export function startObservability(options: {
  config: Config;
  store: TraceStore & FeedbackStore;
  version: string;
}): Observability {
  const { config, store, version } = options;
  const redactor = new SecretRedactor(configuredSecrets(config));
  const log = (message: string) => process.stderr.write(`[fleet-rlm] ${redactor.text(message)}\n`);
  const observers = new ObserverRegistry(log);
  const metrics = fleetMetrics();
  observers.register(new MetricsObserver(metrics));
  const posthog = new PosthogObserver({
    config: config.observability.posthog,
    secrets: redactor.values(),
    log,
    startup: {
      appEnv: config.appEnv,
      authMode: config.auth.jwksUrl ? 'jwks' : 'dev',
      databaseRequired: config.database.required,
      version,
    },
  });
  observers.register(posthog);

  const mlflowConfig = config.observability.mlflow;
  let offeredToTurnOff = false;
  const mlflow = new MlflowStatus({
    config: mlflowConfig,
    degradedRecheckMs: mlflowConfig.degradedRecheckMs,
    onChange: (now, before) => {
      if (now.status === before.status && now.startupError === before.startupError) return;
      log(
        now.status === 'ready'
          ? `MLflow ready at ${now.trackingUri} (experiment ${now.experimentId})`
          : `MLflow ${now.status}${now.startupError ? `: ${now.startupError}` : ''}`,
      );
      // Said once per process, not in every hint.
      if (now.status === 'degraded' && !offeredToTurnOff) {
        offeredToTurnOff = true;
        log(
          'MLflow is optional: traces stay in the local store meanwhile, and MLFLOW_ENABLED=false turns it off',
        );
      }
    },
  });
  let localServer: Promise<LocalMlflowServer | undefined> | undefined;
  if (mlflowConfig.enabled) {
    localServer = maybeAutoStartMlflow(mlflowConfig, { log });
    localServer.catch((error: unknown) => log(`the local MLflow did not start: ${String(error)}`));
    mlflow.warmUp(localServer);
  }
  const gate: MlflowExportGate = {
    exportTarget: async () => {
      const snapshot = await mlflow.settled();
      return snapshot.status === 'ready' && snapshot.experimentId
        ? mlflow.client.otlpTarget(snapshot.experimentId)
        : undefined;
    },
    markExportFailure: (reason) => mlflow.markExportFailure(new Error(reason)),
    recheck: () => void mlflow.recheck(),
  };
  const tracing = new Tracing({
    config: config.observability,
    store,
    ...(mlflowConfig.enabled ? { mlflow: gate } : {}),
    // Span values are redacted as JSON text, where a secret's quotes or backslashes are escaped.
    redactor: (text) => redactor.jsonText(text),
    version,
    log,
  });
  metrics.traceSpansDropped.collectWith((counter) => {
    const stats = tracing.stats();
    for (const pipeline of stats.pipelines) {
      const notReady = pipeline.name === 'mlflow' ? (stats.mlflow?.dropped ?? 0) : 0;
      counter.setTotal({ exporter: pipeline.name }, pipeline.dropped + notReady);
    }
  });
  metrics.traceExportFailures.collectWith((counter) => {
    for (const pipeline of tracing.stats().pipelines) {
      counter.setTotal({ exporter: pipeline.name }, pipeline.failedBatches);
    }
  });

  return {
    observers,
    metrics,
    mlflow,
    tracing,
    traces: new TraceCatalog(store, mlflow, log),
    feedback: new FeedbackRecorder({ store, mlflow, flushTraces: () => tracing.forceFlush(), log }),
    posthog,
    redactor,
    log,
    mlflowRuntimeStatus: () => {
      void mlflow.recheck();
      const snapshot = mlflow.snapshot();
      return {
        enabled: snapshot.enabled,
        startupStatus: snapshot.status,
        ...(snapshot.startupError ? { startupError: snapshot.startupError } : {}),
      };
    },
    shutdown: async () => {
      // First, so that stopping the local server below is not reported as its death.
      mlflow.close();
      await tracing.shutdown();
      await observers.shutdown();
      // A start still under way is waited for, so no MLflow outlives the server that began it.
      const started = await localServer?.catch(() => undefined);
      await started?.stop();
    },
  };
}
