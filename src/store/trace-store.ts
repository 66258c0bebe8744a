/**
 * The embedded trace store: every finished span, and one summary per trace (per turn), so the
 * trace view works without MLflow. Written by the embedded exporter, read by the trace catalog.
 */

import type { Usage } from '../util/usage.js';
import type { Page } from './page.js';

export interface TraceRow {
  /** MLflow's form: `tr-` + the 32-hex OpenTelemetry trace id. */
  traceId: string;
  sessionId: string;
  turnId: string | null;
  workspaceId: string;
  userId: string;
  name: string;
  status: 'OK' | 'ERROR' | 'IN_PROGRESS';
  startedAt: number;
  durationMs: number | null;
  requestPreview: string;
  responsePreview: string;
  usage: Usage;
  spanCount: number;
}

export interface SpanRow {
  traceId: string;
  /** 16-hex OpenTelemetry span id. */
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** `mlflow.spanType`: AGENT, CHAIN, LLM, CHAT_MODEL, TOOL, ... */
  spanType: string;
  /** Epoch microseconds. */
  startUs: number;
  endUs: number;
  status: 'OK' | 'ERROR' | 'UNSET';
  statusMessage: string | null;
  /** Span attributes as set on the span, already redacted (`mlflow.*` values are JSON text). */
  attributes: Record<string, unknown>;
  events: Array<{ name: string; timeUs: number; attributes: Record<string, unknown> }>;
}

export interface TraceStore {
  /**
   * One export batch, one transaction: finished spans (a span id seen twice keeps the first)
   * and the summaries of the traces whose root ended in it (inserted or replaced).
   */
  writeSpans(spans: SpanRow[], traces?: TraceRow[]): Promise<void>;
  getTrace(traceId: string): Promise<TraceRow | undefined>;
  /** Newest first. */
  listTraces(sessionId: string, options: { limit: number; cursor?: string }): Promise<Page<TraceRow>>;
  /** Every span of a trace, in start order. */
  listSpans(traceId: string): Promise<SpanRow[]>;
}
