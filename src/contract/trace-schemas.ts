/**
 * The trace routes' wire contract: a session's traces (one per turn, from MLflow or the embedded
 * store — the same shape either way, `source` says which), one trace as a span tree, and human
 * feedback on a turn's answer.
 */
import { z } from 'zod';
import { usageSchema } from './usage-schema.js';

export const traceSummarySchema = z.object({
  trace_id: z.string(),
  session_id: z.string(),
  turn_id: z.string().nullable(),
  name: z.string(),
  status: z.enum(['OK', 'ERROR', 'IN_PROGRESS']),
  started_at: z.string(),
  duration_ms: z.number().nullable(),
  request_preview: z.string(),
  response_preview: z.string(),
  usage: usageSchema,
  /** Null when MLflow answered (its summaries do not count spans). */
  span_count: z.number().int().nullable(),
  source: z.enum(['mlflow', 'local']),
});

export const tracePage = z.object({
  items: z.array(traceSummarySchema),
  next_cursor: z.string().nullable(),
  source: z.enum(['mlflow', 'local']),
});

export interface SpanNode {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  span_type: string;
  start_time: string;
  duration_ms: number | null;
  status: 'OK' | 'ERROR' | 'UNSET';
  status_message: string | null;
  inputs?: unknown;
  outputs?: unknown;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; time: string; attributes: Record<string, unknown> }>;
  children: SpanNode[];
}

export const spanNodeSchema: z.ZodType<SpanNode> = z.lazy(() =>
  z.object({
    span_id: z.string(),
    parent_span_id: z.string().nullable(),
    name: z.string(),
    span_type: z.string(),
    start_time: z.string(),
    duration_ms: z.number().nullable(),
    status: z.enum(['OK', 'ERROR', 'UNSET']),
    status_message: z.string().nullable(),
    inputs: z.unknown().optional(),
    outputs: z.unknown().optional(),
    attributes: z.record(z.string(), z.unknown()),
    events: z.array(
      z.object({ name: z.string(), time: z.string(), attributes: z.record(z.string(), z.unknown()) }),
    ),
    children: z.array(spanNodeSchema),
  }),
);

export const traceDetailSchema = z.object({
  trace: traceSummarySchema,
  /** Root spans (one for a whole turn); children nested. */
  spans: z.array(spanNodeSchema),
  span_count: z.number().int(),
});

export const listTracesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(2000).optional(),
});

export const traceParams = z.object({ trace_id: z.string().min(1).max(100) });

export const feedbackBody = z
  .object({
    trace_id: z.string().min(1).max(100).optional(),
    turn_id: z.string().min(1).max(100).optional(),
    is_correct: z.boolean(),
    comment: z.string().max(10_000).optional(),
    expected_response: z.string().max(100_000).optional(),
  })
  .refine((body) => body.trace_id !== undefined || body.turn_id !== undefined, {
    message: 'give trace_id or turn_id',
  });

export const feedbackResult = z.object({
  feedback_id: z.string(),
  trace_id: z.string().nullable(),
  turn_id: z.string(),
  stored_locally: z.boolean(),
  mlflow: z.object({
    logged: z.boolean(),
    assessment_ids: z.array(z.string()),
    /** Why it was not logged (MLflow disabled, degraded, or the request failed). */
    error: z.string().nullable(),
  }),
});

export type TraceSummary = z.infer<typeof traceSummarySchema>;
export type FeedbackBody = z.infer<typeof feedbackBody>;
export type FeedbackResult = z.infer<typeof feedbackResult>;
