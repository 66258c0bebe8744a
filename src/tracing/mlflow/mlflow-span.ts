/**
 * Spans as `GET /api/3.0/mlflow/traces/get` returns them, decoded into plain values. Observed on
 * MLflow 3.17.2: OTLP-style proto JSON — ids in base64, times in unix nanoseconds, status codes
 * `STATUS_CODE_*`, and attributes as `[{key, value: AnyValue}]` where MLflow has already decoded
 * the JSON text we sent (`mlflow.spanInputs` `'{"a":1}'` comes back as a `kvlist_value`).
 * Older servers sent attributes as `{key: "<JSON text>"}`; both forms decode to the same values.
 */

export interface MlflowSpan {
  /** 32 lowercase hex chars (the OTel trace id; the MLflow id is `tr-` + this). */
  traceId: string;
  /** 16 lowercase hex chars. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeMs: number;
  endTimeMs?: number;
  status: 'OK' | 'ERROR' | 'UNSET';
  statusMessage?: string;
  /** Every attribute, decoded: objects, arrays, numbers, strings. */
  attributes: Record<string, unknown>;
  /** `mlflow.spanType`, e.g. `AGENT`, `LLM`, `TOOL`. */
  spanType?: string;
  inputs?: unknown;
  outputs?: unknown;
  events: Array<{ name: string; timeMs: number; attributes: Record<string, unknown> }>;
}

type Wire = Record<string, unknown>;

/** Undecodable entries (no ids) are skipped: one odd span must not hide the rest of the tree. */
export function decodeSpans(wire: unknown): MlflowSpan[] {
  if (!Array.isArray(wire)) return [];
  return wire.flatMap((item) => {
    const span = decodeSpan(item);
    return span ? [span] : [];
  });
}

function decodeSpan(wire: unknown): MlflowSpan | undefined {
  if (!isObject(wire)) return undefined;
  const traceId = toHexId(wire.trace_id, 16);
  const spanId = toHexId(wire.span_id, 8);
  if (!traceId || !spanId) return undefined;
  const attributes = decodeAttributes(wire.attributes);
  const status = isObject(wire.status) ? wire.status : {};
  const endTimeMs = nanosToMs(wire.end_time_unix_nano);
  return {
    traceId,
    spanId,
    parentSpanId: toHexId(wire.parent_span_id, 8),
    name: typeof wire.name === 'string' ? wire.name : '',
    startTimeMs: nanosToMs(wire.start_time_unix_nano) ?? 0,
    endTimeMs,
    status: toStatus(status.code),
    statusMessage: typeof status.message === 'string' && status.message ? status.message : undefined,
    attributes,
    spanType: typeof attributes['mlflow.spanType'] === 'string' ? attributes['mlflow.spanType'] : undefined,
    inputs: attributes['mlflow.spanInputs'],
    outputs: attributes['mlflow.spanOutputs'],
    events: Array.isArray(wire.events)
      ? wire.events.filter(isObject).map((event) => ({
          name: typeof event.name === 'string' ? event.name : '',
          timeMs: nanosToMs(event.time_unix_nano) ?? 0,
          attributes: decodeAttributes(event.attributes),
        }))
      : [],
  };
}

function decodeAttributes(wire: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(wire)) {
    for (const entry of wire) {
      if (isObject(entry) && typeof entry.key === 'string') out[entry.key] = decodeAnyValue(entry.value);
    }
  } else if (isObject(wire)) {
    for (const [key, value] of Object.entries(wire))
      out[key] = typeof value === 'string' ? parseJsonOr(value) : value;
  }
  return out;
}

/** OTLP AnyValue in proto JSON (snake_case, as MLflow's `MessageToDict` writes it). */
export function decodeAnyValue(wire: unknown): unknown {
  if (!isObject(wire)) return wire ?? null;
  if ('string_value' in wire) return wire.string_value;
  if ('bool_value' in wire) return wire.bool_value;
  // int64 is a JSON string in canonical proto JSON, a number in MLflow's output; take both.
  if ('int_value' in wire) return Number(wire.int_value);
  if ('double_value' in wire) return Number(wire.double_value);
  if ('bytes_value' in wire) return wire.bytes_value;
  if ('array_value' in wire) {
    const values = isObject(wire.array_value) ? wire.array_value.values : undefined;
    return Array.isArray(values) ? values.map(decodeAnyValue) : [];
  }
  if ('kvlist_value' in wire) {
    const values = isObject(wire.kvlist_value) ? wire.kvlist_value.values : undefined;
    const out: Record<string, unknown> = {};
    for (const entry of Array.isArray(values) ? values : []) {
      if (isObject(entry) && typeof entry.key === 'string') out[entry.key] = decodeAnyValue(entry.value);
    }
    return out;
  }
  return null;
}

/** Hex ids pass through; base64 ones (proto JSON `bytes`) are converted. */
function toHexId(value: unknown, bytes: number): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  if (value.length === bytes * 2 && /^[0-9a-f]+$/i.test(value)) return value.toLowerCase();
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : undefined;
}

// Unix nanoseconds exceed 2^53; as a JS number they lose sub-microsecond digits, which is fine
// for milliseconds.
function nanosToMs(value: unknown): number | undefined {
  const nanos = typeof value === 'string' ? Number(value) : value;
  return typeof nanos === 'number' && Number.isFinite(nanos) && nanos > 0 ? nanos / 1e6 : undefined;
}

function toStatus(code: unknown): MlflowSpan['status'] {
  if (code === 'STATUS_CODE_OK' || code === 'OK' || code === 1) return 'OK';
  if (code === 'STATUS_CODE_ERROR' || code === 'ERROR' || code === 2) return 'ERROR';
  return 'UNSET';
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(value: unknown): value is Wire {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
