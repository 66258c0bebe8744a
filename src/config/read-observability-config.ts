/**
 * Observability settings: tracing on or off, MLflow (enabled by default, as in fleet-rlm
 * (Python); degraded, not failed, when no server answers), any OTLP backend through the
 * standard OTEL_EXPORTER_OTLP_* variables, and PostHog product analytics (off by default).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from './config.js';
import type { EnvReader } from './env-reader.js';

export interface MlflowConfig {
  enabled: boolean;
  trackingUri: string;
  experiment: string;
  /** Start a local `mlflow server` when nothing answers at a loopback tracking URI. */
  autoStart: boolean;
  /** The `mlflow` executable: the project's `.venv` one when present, else from PATH. */
  command: string;
  backendStoreUri: string;
  token?: string;
  username?: string;
  password?: string;
  /** Least time between re-checks of an MLflow found degraded (each turn asks for one). */
  degradedRecheckMs: number;
}

export interface OtlpConfig {
  /** Full traces endpoint (…/v1/traces); unset = no generic OTLP export. */
  endpoint?: string;
  headers: Record<string, string>;
}

export interface PosthogConfig {
  enabled: boolean;
  apiKey?: string;
  host: string;
  distinctId?: string;
  flushAt: number;
  flushIntervalMs: number;
  inputTruncation: number;
  outputTruncation: number;
}

export interface ObservabilityConfig {
  tracingEnabled: boolean;
  mlflow: MlflowConfig;
  otlp: OtlpConfig;
  posthog: PosthogConfig;
  /** Span export bounds (OTel BatchSpanProcessor): queue, batch, delay. */
  export: { maxQueueSize: number; maxBatchSize: number; scheduledDelayMs: number; timeoutMs: number };
}

const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/i;

export function readObservabilityConfig(
  read: EnvReader,
  appEnv: Config['appEnv'],
  dataDir: string,
): { observability: ObservabilityConfig } {
  const trackingUri = (read.string('MLFLOW_TRACKING_URI') ?? 'http://127.0.0.1:5001').replace(/\/+$/, '');
  const venvMlflow = resolve('.venv', 'bin', 'mlflow');
  const otlpBase = read.string('OTEL_EXPORTER_OTLP_ENDPOINT')?.replace(/\/+$/, '');
  const posthogKey = read.string('POSTHOG_API_KEY');
  return {
    observability: {
      tracingEnabled: read.bool('TRACING_ENABLED', true),
      mlflow: {
        enabled: read.bool('MLFLOW_ENABLED', true),
        trackingUri,
        experiment: read.string('MLFLOW_EXPERIMENT') ?? 'fleet-rlm',
        autoStart: read.bool('MLFLOW_AUTO_START', appEnv === 'local' && LOOPBACK.test(trackingUri)),
        command: read.string('MLFLOW_COMMAND') ?? (existsSync(venvMlflow) ? venvMlflow : 'mlflow'),
        backendStoreUri:
          read.string('MLFLOW_LOCAL_BACKEND_STORE_URI') ?? `sqlite:///${resolve(dataDir, 'mlruns.db')}`,
        token: read.string('MLFLOW_TRACKING_TOKEN'),
        username: read.string('MLFLOW_TRACKING_USERNAME'),
        password: read.string('MLFLOW_TRACKING_PASSWORD'),
        degradedRecheckMs: read.seconds('MLFLOW_RECHECK_INTERVAL') ?? 5000,
      },
      otlp: {
        endpoint:
          read.string('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ??
          (otlpBase ? `${otlpBase}/v1/traces` : undefined),
        headers: parseHeaders(
          read,
          read.string('OTEL_EXPORTER_OTLP_TRACES_HEADERS') ?? read.string('OTEL_EXPORTER_OTLP_HEADERS'),
        ),
      },
      posthog: {
        enabled: read.bool('POSTHOG_ENABLED', false),
        apiKey: posthogKey,
        host: read.string('POSTHOG_HOST') ?? 'https://eu.i.posthog.com',
        distinctId: read.string('POSTHOG_DISTINCT_ID'),
        flushAt: read.int('POSTHOG_FLUSH_AT', 10, 1),
        flushIntervalMs: read.seconds('POSTHOG_FLUSH_INTERVAL') ?? 10_000,
        inputTruncation: read.int('POSTHOG_INPUT_TRUNCATION', 10_000, 100),
        outputTruncation: read.int('POSTHOG_OUTPUT_TRUNCATION', 5000, 100),
      },
      export: {
        maxQueueSize: read.int('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 16),
        maxBatchSize: read.int('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1),
        scheduledDelayMs: read.int('OTEL_BSP_SCHEDULE_DELAY', 1000, 1),
        timeoutMs: read.int('OTEL_BSP_EXPORT_TIMEOUT', 10_000, 100),
      },
    },
  };
}

/** `k1=v1,k2=v2` (URL-encoded values), as the OTel spec defines OTEL_EXPORTER_OTLP_HEADERS. */
function parseHeaders(read: EnvReader, value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (value ?? '').split(',').filter((item) => item.trim())) {
    const index = pair.indexOf('=');
    if (index <= 0) {
      read.problem(
        `OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas; got '${pair.trim()}'`,
      );
      continue;
    }
    headers[pair.slice(0, index).trim()] = decodeURIComponent(pair.slice(index + 1).trim());
  }
  return headers;
}
