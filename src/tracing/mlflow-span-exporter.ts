/**
 * Sends finished spans to MLflow's OTLP endpoint (`POST {uri}/v1/traces`, protobuf, with the
 * experiment id header). It runs behind a BatchSpanProcessor, so nothing here is on a turn's
 * path. It asks the MLflow status where to send: while MLflow is not ready the batch is dropped
 * and counted (the embedded store still has it), and a failed request marks the status degraded
 * so the next turn's cheap re-check can bring it back.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { postBytes } from './post-bytes.js';

export interface MlflowExportTarget {
  /** `{tracking uri}/v1/traces`. */
  url: string;
  /** `x-mlflow-experiment-id`, and authorization when the server asks for it. */
  headers: Record<string, string>;
}

/** What the exporter needs from the MLflow status. */
export interface MlflowExportGate {
  /** Where to send now, or undefined while MLflow is not ready (waits out a pending warm-up). */
  exportTarget(): Promise<MlflowExportTarget | undefined>;
  markExportFailure(reason: string): void;
  /** A cheap re-check before each turn, so export resumes once MLflow is back. */
  recheck(): void;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class MlflowSpanExporter implements SpanExporter {
  exported = 0;
  dropped = 0;
  failed = 0;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly gate: MlflowExportGate,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const send = this.send(spans).then(done);
    this.pending.add(send);
    void send.finally(() => this.pending.delete(send));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }

  private async send(spans: ReadableSpan[]): Promise<ExportResult> {
    const target = await this.gate.exportTarget().catch(() => undefined);
    if (!target) {
      this.dropped += spans.length;
      return { code: ExportResultCode.SUCCESS };
    }
    const body = ProtobufTraceSerializer.serializeRequest(spans);
    if (!body) return this.fail(spans, 'the spans could not be serialized to OTLP');
    try {
      const response = await postBytes(
        target.url,
        { 'content-type': 'application/x-protobuf', ...target.headers },
        body,
        this.timeoutMs,
      );
      if (response.status < 200 || response.status >= 300) {
        const text = response.text.slice(0, 300).trim();
        return this.fail(
          spans,
          `MLflow answered ${response.status} to OTLP export${text ? `: ${text}` : ''}`,
        );
      }
      this.exported += spans.length;
      return { code: ExportResultCode.SUCCESS };
    } catch (error) {
      return this.fail(spans, `OTLP export to ${target.url} failed: ${(error as Error).message}`);
    }
  }

  private fail(spans: ReadableSpan[], reason: string): ExportResult {
    this.failed += spans.length;
    this.gate.markExportFailure(reason);
    return { code: ExportResultCode.FAILED, error: new Error(reason) };
  }
}
