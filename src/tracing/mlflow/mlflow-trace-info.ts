/**
 * MLflow's TraceInfoV3 and Assessment as they come over the wire (snake_case, proto JSON), read
 * tolerantly — unknown fields ignored, missing ones absent — and turned into the camelCase
 * shapes the rest of fleet-rlm uses. Only the fields we use are typed. Observed on 3.17.2:
 * `request_time` is RFC 3339, `execution_duration` a proto Duration (`"0.003s"`), metadata and
 * tag values strings, an object expectation comes back as `serialized_value` JSON text.
 */
import { z } from 'zod';
import { MlflowError } from './mlflow-error.js';

export type MlflowTraceState = 'OK' | 'ERROR' | 'IN_PROGRESS' | 'STATE_UNSPECIFIED';

export interface MlflowTraceInfo {
  /** `tr-` + the 32-hex OpenTelemetry trace id for traces ingested over OTLP. */
  traceId: string;
  clientRequestId?: string;
  experimentId?: string;
  state: MlflowTraceState;
  /** Start of the trace, RFC 3339. */
  requestTime?: string;
  requestTimeMs?: number;
  executionDurationMs?: number;
  /** The root span's inputs/outputs as JSON text, cut at 1000 chars by MLflow 3.17. */
  requestPreview?: string;
  responsePreview?: string;
  /** Immutable after ingestion: `mlflow.trace.session`, `mlflow.trace.user`, token usage, … */
  metadata: Record<string, string>;
  /** Mutable (`setTag`); includes the `mlflow.traceTag.<key>` root-span attributes. */
  tags: Record<string, string>;
  assessments: MlflowAssessment[];
}

export interface MlflowAssessment {
  assessmentId: string;
  name: string;
  traceId?: string;
  spanId?: string;
  source: { type: string; id?: string };
  kind: 'feedback' | 'expectation';
  /** Feedback: bool, number, string or string list; expectation: any JSON value. */
  value: unknown;
  rationale?: string;
  metadata: Record<string, string>;
  createTime?: string;
  lastUpdateTime?: string;
  /** Set on feedback that records a failed evaluation instead of a value. */
  error?: { code?: string; message?: string };
}

const stringRecord = z.record(z.string(), z.unknown()).nullish();

const assessmentWire = z.looseObject({
  assessment_id: z.string(),
  assessment_name: z.string(),
  trace_id: z.string().nullish(),
  span_id: z.string().nullish(),
  source: z.looseObject({ source_type: z.string().nullish(), source_id: z.string().nullish() }).nullish(),
  feedback: z
    .looseObject({
      value: z.unknown().optional(),
      error: z
        .looseObject({ error_code: z.string().nullish(), error_message: z.string().nullish() })
        .nullish(),
    })
    .nullish(),
  expectation: z
    .looseObject({
      value: z.unknown().optional(),
      serialized_value: z
        .looseObject({ serialization_format: z.string().nullish(), value: z.string() })
        .nullish(),
    })
    .nullish(),
  rationale: z.string().nullish(),
  metadata: stringRecord,
  create_time: z.string().nullish(),
  last_update_time: z.string().nullish(),
});

const traceInfoWire = z.looseObject({
  trace_id: z.string(),
  client_request_id: z.string().nullish(),
  trace_location: z
    .looseObject({ mlflow_experiment: z.looseObject({ experiment_id: z.string() }).nullish() })
    .nullish(),
  request_time: z.string().nullish(),
  execution_duration: z.string().nullish(),
  state: z.string().nullish(),
  request_preview: z.string().nullish(),
  response_preview: z.string().nullish(),
  trace_metadata: stringRecord,
  tags: stringRecord,
  assessments: z.array(z.unknown()).nullish(),
});

export function decodeTraceInfo(wire: unknown, request: string): MlflowTraceInfo {
  const parsed = traceInfoWire.safeParse(wire);
  if (!parsed.success) {
    throw new MlflowError(
      'invalid_response',
      `MLflow answered ${request} with a trace that has no trace_id; is this an MLflow 3 server?`,
      { request, cause: parsed.error },
    );
  }
  const info = parsed.data;
  const requestTimeMs = info.request_time ? Date.parse(info.request_time) : Number.NaN;
  return {
    traceId: info.trace_id,
    clientRequestId: info.client_request_id ?? undefined,
    experimentId: info.trace_location?.mlflow_experiment?.experiment_id,
    state: toState(info.state),
    requestTime: info.request_time ?? undefined,
    requestTimeMs: Number.isFinite(requestTimeMs) ? requestTimeMs : undefined,
    executionDurationMs: parseDurationMs(info.execution_duration),
    requestPreview: info.request_preview ?? undefined,
    responsePreview: info.response_preview ?? undefined,
    metadata: toStrings(info.trace_metadata),
    tags: toStrings(info.tags),
    // One odd assessment (a newer kind, a half-written row) must not hide the trace.
    assessments: (info.assessments ?? []).flatMap((item) => {
      const assessment = tryDecodeAssessment(item);
      return assessment ? [assessment] : [];
    }),
  };
}

export function decodeAssessment(wire: unknown, request: string): MlflowAssessment {
  const assessment = tryDecodeAssessment(wire);
  if (!assessment) {
    throw new MlflowError(
      'invalid_response',
      `MLflow answered ${request} without an assessment id, name and value`,
      { request },
    );
  }
  return assessment;
}

function tryDecodeAssessment(wire: unknown): MlflowAssessment | undefined {
  const parsed = assessmentWire.safeParse(wire);
  if (!parsed.success) return undefined;
  const item = parsed.data;
  const common = {
    assessmentId: item.assessment_id,
    name: item.assessment_name,
    traceId: item.trace_id ?? undefined,
    spanId: item.span_id || undefined,
    source: {
      type: item.source?.source_type ?? 'SOURCE_TYPE_UNSPECIFIED',
      id: item.source?.source_id ?? undefined,
    },
    rationale: item.rationale ?? undefined,
    metadata: toStrings(item.metadata),
    createTime: item.create_time ?? undefined,
    lastUpdateTime: item.last_update_time ?? undefined,
  };
  if (item.feedback) {
    const error = item.feedback.error;
    return {
      ...common,
      kind: 'feedback',
      value: item.feedback.value ?? null,
      error: error
        ? { code: error.error_code ?? undefined, message: error.error_message ?? undefined }
        : undefined,
    };
  }
  if (item.expectation) {
    const serialized = item.expectation.serialized_value;
    return {
      ...common,
      kind: 'expectation',
      value: serialized ? parseJsonOr(serialized.value) : (item.expectation.value ?? null),
    };
  }
  return undefined;
}

function toState(state: string | null | undefined): MlflowTraceState {
  return state === 'OK' || state === 'ERROR' || state === 'IN_PROGRESS' ? state : 'STATE_UNSPECIFIED';
}

/** Proto Duration JSON: decimal seconds with an `s` suffix (`"1.25s"`). */
function parseDurationMs(duration: string | null | undefined): number | undefined {
  const match = duration ? /^(-?\d+(?:\.\d+)?)s$/.exec(duration) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

function toStrings(record: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) {
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
