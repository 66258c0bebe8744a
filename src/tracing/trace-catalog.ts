/**
 * Reads traces for the API: a session's traces from MLflow's search while MLflow is ready (the
 * embedded store otherwise, or when the search fails), and one trace as a span tree from the
 * embedded store first (complete and local), MLflow second. Both sources come out in the same
 * wire shape. Ownership is the caller's business: every answer names the trace's session.
 */
import { FleetError } from '../contract/fleet-error.js';
import type { SpanNode, TraceSummary } from '../contract/trace-schemas.js';
import type { SpanRow, TraceRow, TraceStore } from '../store/trace-store.js';
import { toWireUsage, type Usage } from '../util/usage.js';
import { MlflowError } from './mlflow/mlflow-error.js';
import type { MlflowSpan } from './mlflow/mlflow-span.js';
import type { MlflowStatus } from './mlflow/mlflow-status.js';
import type { MlflowTraceInfo } from './mlflow/mlflow-trace-info.js';
import { metadataEquals } from './mlflow/search-filter.js';
import { decodeAttribute, decodeAttributes, previewOf } from './trace-text.js';

export interface TracePageResult {
  items: TraceSummary[];
  nextCursor: string | null;
  source: 'mlflow' | 'local';
}

export interface TraceDetail {
  summary: TraceSummary;
  spans: SpanNode[];
  spanCount: number;
}

/** A page cursor says which source it pages through: `m.` MLflow page token, `l.` store cursor. */
export class TraceCursorError extends FleetError<'invalid_cursor'> {
  static override readonly errorName = 'TraceCursorError';

  constructor(message: string) {
    super('invalid_cursor', message);
  }
}

const HIDDEN_ATTRIBUTES = new Set(['mlflow.spanInputs', 'mlflow.spanOutputs', 'mlflow.spanType']);

export class TraceCatalog {
  constructor(
    private readonly store: Pick<TraceStore, 'getTrace' | 'listTraces' | 'listSpans'>,
    private readonly mlflow?: MlflowStatus,
    private readonly log: (message: string) => void = () => {},
  ) {}

  async listSessionTraces(
    sessionId: string,
    options: { limit: number; cursor?: string },
  ): Promise<TracePageResult> {
    const cursor = options.cursor;
    if (cursor && !/^[ml]\./.test(cursor)) {
      throw new TraceCursorError(
        'invalid trace cursor: pass back the next_cursor of a previous page unchanged',
      );
    }
    const experimentId = this.mlflow?.experimentId;
    if (cursor?.startsWith('m.') && !experimentId) {
      throw new TraceCursorError(
        'this cursor pages through MLflow, which is not reachable now; list again without a cursor',
      );
    }
    if (experimentId && !cursor?.startsWith('l.')) {
      try {
        return await this.listFromMlflow(sessionId, experimentId, options.limit, cursor?.slice(2));
      } catch (error) {
        if (cursor) throw error;
        this.log(`listing traces from MLflow failed, answering from the local store: ${String(error)}`);
      }
    }
    const page = await this.store.listTraces(sessionId, {
      limit: options.limit,
      ...(cursor ? { cursor: cursor.slice(2) } : {}),
    });
    return {
      items: page.items.map(localSummary),
      nextCursor: page.nextCursor ? `l.${page.nextCursor}` : null,
      source: 'local',
    };
  }

  /** The trace with its span tree, or undefined when neither source knows it. */
  async getTrace(traceId: string): Promise<TraceDetail | undefined> {
    const local = await this.store.getTrace(traceId);
    if (local) {
      const spans = await this.store.listSpans(traceId);
      return { summary: localSummary(local), spans: tree(spans.map(localNode)), spanCount: spans.length };
    }
    if (!this.mlflow?.experimentId) return undefined;
    try {
      const trace = await this.mlflow.client.getTrace(traceId);
      return {
        summary: mlflowSummary(trace.info, undefined, trace.info.metadata['mlflow.trace.session'] ?? ''),
        spans: tree([...trace.spans].sort((a, b) => a.startTimeMs - b.startTimeMs).map(mlflowNode)),
        spanCount: trace.spans.length,
      };
    } catch (error) {
      if (MlflowError.isInstance(error) && error.isNotFound) return undefined;
      throw error;
    }
  }

  private async listFromMlflow(
    sessionId: string,
    experimentId: string,
    limit: number,
    pageToken: string | undefined,
  ): Promise<TracePageResult> {
    const result = await this.mlflow!.client.searchTraces({
      experimentId,
      filter: metadataEquals('mlflow.trace.session', sessionId),
      maxResults: limit,
      orderBy: ['timestamp_ms DESC'],
      ...(pageToken ? { pageToken } : {}),
    });
    const items = await Promise.all(
      result.traces.map(async (info) =>
        mlflowSummary(info, await this.store.getTrace(info.traceId), sessionId),
      ),
    );
    return {
      items,
      nextCursor: result.nextPageToken ? `m.${result.nextPageToken}` : null,
      source: 'mlflow',
    };
  }
}

function localSummary(row: TraceRow): TraceSummary {
  return {
    trace_id: row.traceId,
    session_id: row.sessionId,
    turn_id: row.turnId,
    name: row.name,
    status: row.status,
    started_at: new Date(row.startedAt).toISOString(),
    duration_ms: row.durationMs,
    request_preview: row.requestPreview,
    response_preview: row.responsePreview,
    usage: toWireUsage(row.usage),
    span_count: row.spanCount,
    source: 'local',
  };
}

/** MLflow's summary, completed from the local row when this server wrote the trace. */
function mlflowSummary(info: MlflowTraceInfo, local: TraceRow | undefined, sessionId: string): TraceSummary {
  const tokens = decodeAttribute(info.metadata['mlflow.trace.tokenUsage']) as
    | { input_tokens?: number; output_tokens?: number; total_tokens?: number }
    | undefined;
  const cost = decodeAttribute(info.metadata['mlflow.trace.cost']) as { total_cost?: number } | undefined;
  const inputTokens = Number(tokens?.input_tokens ?? local?.usage.inputTokens ?? 0);
  const outputTokens = Number(tokens?.output_tokens ?? local?.usage.outputTokens ?? 0);
  const usage: Usage = {
    inputTokens,
    outputTokens,
    totalTokens: Number(tokens?.total_tokens ?? inputTokens + outputTokens),
    costUsd: Number(cost?.total_cost ?? local?.usage.costUsd ?? 0),
  };
  return {
    trace_id: info.traceId,
    session_id: info.metadata['mlflow.trace.session'] ?? sessionId,
    turn_id: info.tags['fleet_rlm.turn_id'] ?? local?.turnId ?? null,
    name: info.tags['mlflow.traceName'] ?? local?.name ?? 'FleetAgent.respond',
    status: info.state === 'STATE_UNSPECIFIED' ? 'IN_PROGRESS' : info.state,
    started_at: new Date(info.requestTimeMs ?? local?.startedAt ?? 0).toISOString(),
    duration_ms: info.executionDurationMs ?? local?.durationMs ?? null,
    request_preview: previewOf(info.requestPreview ?? local?.requestPreview ?? ''),
    response_preview: previewOf(info.responsePreview ?? local?.responsePreview ?? ''),
    usage: toWireUsage(usage),
    span_count: null,
    source: 'mlflow',
  };
}

function localNode(span: SpanRow): SpanNode {
  const attributes = decodeAttributes(span.attributes);
  return {
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    name: span.name,
    span_type: span.spanType,
    start_time: new Date(span.startUs / 1000).toISOString(),
    duration_ms: (span.endUs - span.startUs) / 1000,
    status: span.status,
    status_message: span.statusMessage,
    inputs: attributes['mlflow.spanInputs'],
    outputs: attributes['mlflow.spanOutputs'],
    attributes: visible(attributes),
    events: span.events.map((event) => ({
      name: event.name,
      time: new Date(event.timeUs / 1000).toISOString(),
      attributes: decodeAttributes(event.attributes),
    })),
    children: [],
  };
}

function mlflowNode(span: MlflowSpan): SpanNode {
  return {
    span_id: span.spanId,
    parent_span_id: span.parentSpanId ?? null,
    name: span.name,
    span_type: span.spanType ?? 'UNKNOWN',
    start_time: new Date(span.startTimeMs).toISOString(),
    duration_ms: span.endTimeMs === undefined ? null : span.endTimeMs - span.startTimeMs,
    status: span.status,
    status_message: span.statusMessage ?? null,
    inputs: span.inputs,
    outputs: span.outputs,
    attributes: visible(span.attributes),
    events: span.events.map((event) => ({
      name: event.name,
      time: new Date(event.timeMs).toISOString(),
      attributes: event.attributes,
    })),
    children: [],
  };
}

function visible(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => !HIDDEN_ATTRIBUTES.has(key)));
}

/**
 * Nests spans (given in start order, so children stay in it) under their parents; a span whose
 * parent is missing is a root.
 */
function tree(nodes: SpanNode[]): SpanNode[] {
  const byId = new Map(nodes.map((node) => [node.span_id, node]));
  const roots: SpanNode[] = [];
  for (const node of nodes) {
    const parent = node.parent_span_id ? byId.get(node.parent_span_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}
