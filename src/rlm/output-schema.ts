/**
 * A run's output fields: described to the model, and validated on the host when the model calls
 * SUBMIT. Validation errors go back to the model as text so it can try again.
 */
import { z } from 'zod';

export const DEFAULT_OUTPUT_SCHEMA = z.object({ answer: z.string().describe('the final answer') });

export interface OutputField {
  name: string;
  type: string;
  description?: string;
  optional: boolean;
}

export function describeFields(schema: z.ZodObject): OutputField[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const zodField = field as z.ZodType;
    return {
      name,
      type: typeName(zodField),
      description: zodField.description,
      optional: zodField.safeParse(undefined).success,
    };
  });
}

function typeName(field: z.ZodType): string {
  const json = z.toJSONSchema(field, { unrepresentable: 'any' }) as { type?: string | string[] };
  const type = Array.isArray(json.type) ? json.type.join(' | ') : json.type;
  return type === 'string'
    ? 'str'
    : type === 'integer'
      ? 'int'
      : type === 'number'
        ? 'float'
        : (type ?? 'any');
}

export type SubmitCheck =
  | { ok: true; outputs: Record<string, unknown> }
  | { ok: false; errors: string[]; feedback: string };

/** Validates a SUBMIT payload; a string field also accepts a number or boolean (stringified). */
export function checkSubmit(schema: z.ZodObject, payload: Record<string, unknown>): SubmitCheck {
  const fields = describeFields(schema);
  const missing = fields
    .filter((field) => !field.optional && !(field.name in payload))
    .map((field) => field.name);
  const usage = `SUBMIT(${fields.map((field) => `${field.name}=...`).join(', ')})`;
  if (missing.length > 0) {
    const errors = [`missing output field(s): ${missing.join(', ')}`];
    return { ok: false, errors, feedback: `[Error] SUBMIT is ${errors[0]}. Call ${usage}.` };
  }
  const coerced: Record<string, unknown> = {};
  for (const field of fields) {
    if (!(field.name in payload)) continue;
    const value = payload[field.name];
    coerced[field.name] =
      field.type === 'str' && (typeof value === 'number' || typeof value === 'boolean')
        ? String(value)
        : value;
  }
  const parsed = schema.safeParse(coerced);
  if (parsed.success) return { ok: true, outputs: parsed.data as Record<string, unknown> };
  const errors = parsed.error.issues.map((issue) => {
    const path = issue.path.join('.') || '(payload)';
    const got = describeValue(issue.path.length > 0 ? coerced[String(issue.path[0])] : coerced);
    return `${path}: ${issue.message} (got ${got})`;
  });
  return {
    ok: false,
    errors,
    feedback: `[Type Error] SUBMIT was rejected:\n${errors.map((error) => `- ${error}`).join('\n')}\nFix the values and call ${usage} again.`,
  };
}

function describeValue(value: unknown): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (typeof value === 'string') return `str of ${value.length} chars`;
  return typeof value === 'object' ? 'dict' : typeof value;
}

/** The `answer` text of a set of outputs, or the outputs as JSON when there is no answer field. */
export function answerText(outputs: Record<string, unknown>): string {
  const answer = outputs.answer;
  if (typeof answer === 'string') return answer;
  if (answer !== undefined) return JSON.stringify(answer);
  return JSON.stringify(outputs);
}
