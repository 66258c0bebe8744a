/**
 * Observability settings: tracing on or off, MLflow (enabled by default, as in fleet-rlm
 * (Python); degraded, not failed, when no server answers), any OTLP backend through the
 * standard OTEL_EXPORTER_OTLP_* variables, and PostHog product analytics (off by default).
 * `observabilityConfig` fills the defaults that depend on APP_ENV and the data directory.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { bool, custom, int, seconds, text } from './env-values.js';
import { section, setting } from './setting.js';

const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/i;
const withoutTrailingSlash = (value: string) => value.replace(/\/+$/, '');

/** `k1=v1,k2=v2` (URL-encoded values), as the OTel spec defines OTEL_EXPORTER_OTLP_HEADERS. */
const headerList = custom<Record<string, string>>(
  (value, problem) => {
    const headers: Record<string, string> = {};
    for (const pair of value.split(',').filter((item) => item.trim())) {
      const index = pair.indexOf('=');
      if (index <= 0) {
        problem(`must be key=value pairs separated by commas; got '${pair.trim()}'`);
        continue;
      }
      headers[pair.slice(0, index).trim()] = decodeURIComponent(pair.slice(index + 1).trim());
    }
    return headers;
  },
  'x-api-key=example',
  { secrets: (headers) => Object.values(headers) },
);

const mlflowSettings = section('Observability', {
  enabled: setting({ env: 'MLFLOW_ENABLED', value: bool(), default: true, doc: 'export traces to MLflow' }),
  trackingUri: setting({
    env: 'MLFLOW_TRACKING_URI',
    value: text(withoutTrailingSlash),
    default: 'http://127.0.0.1:5001',
    doc: 'the MLflow server',
  }),
  experiment: setting({
    env: 'MLFLOW_EXPERIMENT',
    value: text(),
    default: 'fleet-rlm',
    doc: 'MLflow experiment of the traces; created when missing',
  }),
  /** Start a local `mlflow server` when nothing answers at a loopback tracking URI. */
  autoStart: setting({
    env: 'MLFLOW_AUTO_START',
    value: bool(),
    defaultText: 'on with `APP_ENV=local` and a loopback URI',
    example: 'false',
    doc: 'start a local `mlflow server` when nothing answers at the tracking URI',
  }),
  /** The `mlflow` executable: the project's `.venv` one when present, else from PATH. */
  command: setting({
    env: 'MLFLOW_COMMAND',
    value: text(),
    defaultText: '`.venv/bin/mlflow`, else `mlflow`',
    doc: 'the `mlflow` executable auto-start runs',
  }),
  backendStoreUri: setting({
    env: 'MLFLOW_LOCAL_BACKEND_STORE_URI',
    value: text(),
    defaultText: '`sqlite:///FLEET_DATA_DIR/mlruns.db`',
    doc: 'store of an auto-started MLflow',
  }),
  token: setting({
    env: 'MLFLOW_TRACKING_TOKEN',
    value: text(),
    secret: true,
    doc: 'MLflow server auth: bearer token',
  }),
  username: setting({ env: 'MLFLOW_TRACKING_USERNAME', value: text(), doc: 'MLflow server auth: user' }),
  password: setting({
    env: 'MLFLOW_TRACKING_PASSWORD',
    value: text(),
    secret: true,
    doc: 'MLflow server auth: password',
  }),
  /** Least time between on-demand re-checks of a degraded MLflow (each turn and status request asks). */
  degradedRecheckMs: setting({
    env: 'MLFLOW_RECHECK_INTERVAL',
    value: seconds(),
    default: 5000,
    doc: 'least seconds between on-demand re-checks of a degraded MLflow (each turn and status request asks for one; a background check runs anyway)',
  }),
});

const otlpSettings = section('Observability', {
  /** Full traces endpoint (…/v1/traces); unset = no generic OTLP export. */
  tracesEndpoint: setting({
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    value: text(),
    doc: 'also export to this OTLP/HTTP (protobuf) traces endpoint',
  }),
  baseEndpoint: setting({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    value: text(withoutTrailingSlash),
    doc: 'the same as a base URL (`/v1/traces` is appended)',
  }),
  headers: setting({
    env: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
    aliases: ['OTEL_EXPORTER_OTLP_HEADERS'],
    value: headerList,
    default: {},
    defaultText: '–',
    secret: true,
    doc: 'headers of the OTLP export, `key=value,…` (URL-encoded values)',
  }),
});

const posthogSettings = section('Observability', {
  enabled: setting({
    env: 'POSTHOG_ENABLED',
    value: bool(),
    default: false,
    doc: 'product analytics to PostHog',
  }),
  apiKey: setting({ env: 'POSTHOG_API_KEY', value: text(), secret: true, doc: 'PostHog project key' }),
  host: setting({
    env: 'POSTHOG_HOST',
    value: text(),
    default: 'https://eu.i.posthog.com',
    doc: 'PostHog host',
  }),
  distinctId: setting({ env: 'POSTHOG_DISTINCT_ID', value: text(), doc: 'distinct id of server events' }),
  flushAt: setting({ env: 'POSTHOG_FLUSH_AT', value: int(1), default: 10, doc: 'events per PostHog batch' }),
  flushIntervalMs: setting({
    env: 'POSTHOG_FLUSH_INTERVAL',
    value: seconds(),
    default: 10_000,
    doc: 'seconds between PostHog flushes',
  }),
  inputTruncation: setting({
    env: 'POSTHOG_INPUT_TRUNCATION',
    value: int(100),
    default: 10_000,
    doc: 'characters of an LM input sent to PostHog',
  }),
  outputTruncation: setting({
    env: 'POSTHOG_OUTPUT_TRUNCATION',
    value: int(100),
    default: 5000,
    doc: 'characters of an LM output sent to PostHog',
  }),
});

/** Span export bounds (OTel BatchSpanProcessor): queue, batch, delay. */
const exportSettings = section('Observability', {
  maxQueueSize: setting({
    env: 'OTEL_BSP_MAX_QUEUE_SIZE',
    value: int(16),
    default: 2048,
    doc: 'span queue bound per backend (drops are counted)',
  }),
  maxBatchSize: setting({
    env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
    value: int(1),
    default: 512,
    doc: 'spans per export',
  }),
  scheduledDelayMs: setting({
    env: 'OTEL_BSP_SCHEDULE_DELAY',
    value: int(1),
    default: 1000,
    doc: 'milliseconds between span exports',
  }),
  timeoutMs: setting({
    env: 'OTEL_BSP_EXPORT_TIMEOUT',
    value: int(100),
    default: 10_000,
    doc: 'milliseconds one span export may take',
  }),
});

export const observabilitySettings = section('Observability', {
  tracingEnabled: setting({
    env: 'TRACING_ENABLED',
    value: bool(),
    default: true,
    doc: '`false`: no spans at all (no MLflow, no local traces)',
  }),
  mlflow: mlflowSettings,
  otlp: otlpSettings,
  posthog: posthogSettings,
  export: exportSettings,
});

type ObservabilitySettings = z.output<typeof observabilitySettings>;

/** The settings with the defaults that depend on APP_ENV and the data directory filled in. */
export function observabilityConfig(settings: ObservabilitySettings, appEnv: string, dataDir: string) {
  const { mlflow, otlp } = settings;
  const venvMlflow = resolve('.venv', 'bin', 'mlflow');
  return {
    ...settings,
    mlflow: {
      ...mlflow,
      autoStart: mlflow.autoStart ?? (appEnv === 'local' && LOOPBACK.test(mlflow.trackingUri)),
      command: mlflow.command ?? (existsSync(venvMlflow) ? venvMlflow : 'mlflow'),
      backendStoreUri: mlflow.backendStoreUri ?? `sqlite:///${resolve(dataDir, 'mlruns.db')}`,
    },
    otlp: {
      endpoint: otlp.tracesEndpoint ?? (otlp.baseEndpoint ? `${otlp.baseEndpoint}/v1/traces` : undefined),
      headers: otlp.headers,
    },
  };
}

export type ObservabilityConfig = ReturnType<typeof observabilityConfig>;
export type MlflowConfig = ObservabilityConfig['mlflow'];
export type OtlpConfig = ObservabilityConfig['otlp'];
export type PosthogConfig = ObservabilityConfig['posthog'];
