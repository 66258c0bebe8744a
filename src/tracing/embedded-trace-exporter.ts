/**
 * The embedded trace store's exporter: every finished span becomes a SpanRow in the project's
 * own database, and the root span of a turn also writes its TraceRow (name, session, previews,
 * usage, span count). This is what makes traces viewable without MLflow, and what the trace
 * routes fall back to. Attributes arrive already redacted (span-helpers redacts on set) and are
 * stored as set; the trace catalog decodes MLflow's JSON text values when it reads them.
 */

import type { HrTime } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMicroseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SpanRow, TraceRow, TraceStore } from '../store/trace-store.js';
import { fromWireUsage, type WireUsage } from '../util/usage.js';
import { decodeAttribute, previewOf } from './trace-text.js';

/** Bound on traces whose root has not ended yet (a leak guard; a turn always ends its root). */
const OPEN_TRACE_LIMIT = 10_000;

export class EmbeddedTraceExporter implements SpanExporter {
  /** Spans seen per trace before its root ended, for TraceRow.spanCount. */
  private readonly openTraces = new Map<string, number>();
  private pending = new Set<Promise<void>>();
  exported = 0;
  failed = 0;

  constructor(
    private readonly store: Pick<TraceStore, 'writeSpans'>,
    private readonly log: (message: string) => void = () => {},
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const write = this.write(spans).then(
      () => {
        this.exported += spans.length;
        done({ code: ExportResultCode.SUCCESS });
      },
      (error: unknown) => {
        this.failed += spans.length;
        this.log(`embedded trace store: could not write ${spans.length} span(s): ${String(error)}`);
        done({ code: ExportResultCode.FAILED, error: error as Error });
      },
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }

  private async write(spans: ReadableSpan[]): Promise<void> {
    const rows = spans.map(toSpanRow);
    for (const row of rows) this.openTraces.set(row.traceId, (this.openTraces.get(row.traceId) ?? 0) + 1);
    const finished: TraceRow[] = [];
    for (const span of spans) {
      if (span.parentSpanContext) continue;
      const traceId = mlflowId(span.spanContext().traceId);
      const count = this.openTraces.get(traceId) ?? 1;
      this.openTraces.delete(traceId);
      finished.push(toTraceRow(span, traceId, count));
    }
    if (this.openTraces.size > OPEN_TRACE_LIMIT) this.openTraces.clear();
    await this.store.writeSpans(rows, finished);
  }
}

/** Whole microseconds: the store keeps integers. */
function micros(time: HrTime): number {
  return Math.round(hrTimeToMicroseconds(time));
}

function mlflowId(otelTraceId: string): string {
  return `tr-${otelTraceId}`;
}

function toSpanRow(span: ReadableSpan): SpanRow {
  return {
    traceId: mlflowId(span.spanContext().traceId),
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    spanType: String(decodeAttribute(span.attributes['mlflow.spanType']) ?? 'UNKNOWN'),
    startUs: micros(span.startTime),
    endUs: micros(span.endTime),
    status: span.status.code === 2 ? 'ERROR' : span.status.code === 1 ? 'OK' : 'UNSET',
    statusMessage: span.status.message ?? null,
    // Stored as set (JSON text values stay text): decoding is the reader's work, not every turn's.
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      timeUs: micros(event.time),
      attributes: event.attributes ?? {},
    })),
  };
}

function toTraceRow(root: ReadableSpan, traceId: string, spanCount: number): TraceRow {
  const attributes = root.attributes;
  const startUs = micros(root.startTime);
  return {
    traceId,
    sessionId: String(attributes['session.id'] ?? ''),
    turnId: attributes['fleet_rlm.turn_id'] ? String(attributes['fleet_rlm.turn_id']) : null,
    workspaceId: String(attributes['fleet_rlm.workspace_id'] ?? ''),
    userId: String(attributes['user.id'] ?? ''),
    name: root.name,
    status: root.status.code === 2 ? 'ERROR' : 'OK',
    startedAt: Math.floor(startUs / 1000),
    durationMs: Math.round((micros(root.endTime) - startUs) / 1000),
    requestPreview: previewOf(attributes['mlflow.spanInputs']),
    responsePreview: previewOf(attributes['mlflow.spanOutputs']),
    usage: fromWireUsage(
      decodeAttribute(attributes['fleet_rlm.turn_usage']) as Partial<WireUsage> | undefined,
    ),
    spanCount,
  };
}
