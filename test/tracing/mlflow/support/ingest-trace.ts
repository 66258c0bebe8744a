/**
 * Puts a small trace into MLflow the way fleet-rlm's exporter does: real OTel spans through the
 * OTLP protobuf exporter to `/v1/traces` with `x-mlflow-experiment-id`. The root span carries
 * `session.id` and `user.id`; MLflow attribute values are JSON text.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { MlflowClient } from '../../../../src/tracing/mlflow/mlflow-client.js';

export interface IngestOptions {
  sessionId: string;
  userId: string;
  inputs: unknown;
  outputs: unknown;
  /** Extra attributes for the root span. */
  rootAttributes?: Record<string, string | number | boolean>;
  /** Extra attributes for the one child (an LLM span). */
  childAttributes?: Record<string, string | number | boolean>;
}

/** Resolves with the MLflow trace id (`tr-<hex>`); rejects with the export error. */
export async function ingestTrace(
  client: MlflowClient,
  experimentId: string,
  options: IngestOptions,
): Promise<string> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('fleet-rlm-test');
  const root = tracer.startSpan('FleetAgent.respond', {
    attributes: {
      'mlflow.spanType': JSON.stringify('AGENT'),
      'mlflow.spanInputs': JSON.stringify(options.inputs),
      'mlflow.spanOutputs': JSON.stringify(options.outputs),
      'session.id': options.sessionId,
      'user.id': options.userId,
      ...options.rootAttributes,
    },
  });
  const child = tracer.startSpan(
    'lm.generate',
    {
      attributes: {
        'mlflow.spanType': JSON.stringify('LLM'),
        'mlflow.spanInputs': JSON.stringify([{ role: 'user', content: 'hi' }]),
        'mlflow.spanOutputs': JSON.stringify('hello'),
        ...options.childAttributes,
      },
    },
    trace.setSpan(context.active(), root),
  );
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  await exportSpans(client, experimentId, memory.getFinishedSpans());
  await provider.shutdown();
  return `tr-${root.spanContext().traceId}`;
}

/** One OTLP export; rejects with the exporter's error (what `markExportFailure` receives). */
export function exportSpans(
  client: MlflowClient,
  experimentId: string,
  spans: ReturnType<InMemorySpanExporter['getFinishedSpans']>,
): Promise<void> {
  const target = client.otlpTarget(experimentId);
  const exporter = new OTLPTraceExporter({ url: target.url, headers: target.headers, timeoutMillis: 5000 });
  return new Promise<void>((resolve, reject) => {
    exporter.export(spans, (result) => {
      void exporter.shutdown();
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('OTLP export failed'));
    });
  });
}

/** A finished span to export, for tests that only need an export attempt. */
export function oneSpan(): ReturnType<InMemorySpanExporter['getFinishedSpans']> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  provider.getTracer('fleet-rlm-test').startSpan('probe').end();
  return memory.getFinishedSpans();
}
