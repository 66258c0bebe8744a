/**
 * How trace values read back: MLflow-style JSON attribute text decoded into values, and the
 * short request/response previews a trace list shows (a lone `message`/`answer` reads better
 * than the JSON around it). Shared by the embedded exporter and the trace catalog so a trace
 * looks the same whether it came from MLflow or the local store.
 */

const PREVIEW_CHARS = 1_000;

/** JSON text values come back as values; plain strings stay strings. */
export function decodeAttribute(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const first = value[0];
  if (first !== '{' && first !== '[' && first !== '"') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function decodeAttributes(attributes: Record<string, unknown>): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) decoded[key] = decodeAttribute(value);
  return decoded;
}

/** A root span's inputs or outputs (a value, or its JSON text) as a short line. */
export function previewOf(raw: unknown): string {
  const value = decodeAttribute(raw);
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const lone = record.message ?? record.answer ?? record.text;
    text = typeof lone === 'string' ? lone : JSON.stringify(value);
  } else text = value === undefined || value === null ? '' : JSON.stringify(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}
