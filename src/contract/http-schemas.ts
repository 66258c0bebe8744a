/**
 * The HTTP wire contract as zod schemas (snake_case, like fleet-rlm (Python)'s API): request
 * bodies and queries, response shapes, and the one error body. The server validates and
 * serializes through these, /openapi.json is generated from them, and clients parse with them.
 * Where the original's clients send or read other names (`search`, `offset`, `total`,
 * `turn_index`, `detail`, …) those are accepted and answered beside ours, never instead.
 */
import { z } from 'zod';
import type { StepRow } from '../store/step-store.js';
import type { DocumentMeta, SessionRow, TurnRow } from '../store/store.js';
import { toWireUsage } from '../util/usage.js';
import { EXECUTION_MODES } from './client-frames.js';
import { type ExecutionStep, executionStep } from './passive-frames.js';
import { usageSchema } from './usage-schema.js';

export const errorBody = z.object({
  code: z.string(),
  message: z.string(),
  /** The message again, where fleet-rlm (Python)'s clients read it (FastAPI's `{detail}`). */
  detail: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  request_id: z.string().optional(),
});

export const sessionSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['active', 'archived']),
  workspace_id: z.string(),
  user_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  archived_at: z.string().nullable(),
  active_document_id: z.string().nullable(),
  running_turn_id: z.string().nullable(),
  /** The planner model answering the session's turns now; null when none is configured. */
  model_name: z.string().nullable(),
});

export const sessionDetailSchema = sessionSchema.extend({ turn_count: z.number().int() });

export const turnSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  index: z.number().int(),
  client_message_id: z.string().nullable(),
  user_message: z.string(),
  assistant_message: z.string().nullable(),
  execution_mode: z.enum(EXECUTION_MODES),
  status: z.enum(['running', 'completed', 'error', 'cancelled']),
  error: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  usage: usageSchema,
  trace_id: z.string().nullable(),
  /** `index` under fleet-rlm (Python)'s name. */
  turn_index: z.number().int(),
  /** `started_at` under fleet-rlm (Python)'s name. */
  created_at: z.string(),
});

export const documentSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  alias: z.string(),
  name: z.string(),
  source: z.string(),
  mime_type: z.string(),
  size_bytes: z.number().int(),
  text_chars: z.number().int(),
  created_at: z.string(),
  active: z.boolean(),
});

/** Offset-paging totals, as fleet-rlm (Python)'s lists answer them. */
const offsetPage = {
  /** Items over all pages. */
  total: z.number().int(),
  /** The offset asked for (0 when paging by cursor). */
  offset: z.number().int(),
  limit: z.number().int(),
  /** Another page follows this one. */
  has_more: z.boolean(),
};

export const sessionPage = z.object({
  items: z.array(sessionSchema),
  next_cursor: z.string().nullable(),
  ...offsetPage,
});
export const turnList = z.object({ items: z.array(turnSchema), ...offsetPage });
export const documentList = z.object({ items: z.array(documentSchema) });

export const createSessionBody = z.object({ title: z.string().max(200).optional() }).optional();

export const listSessionsQuery = z
  .object({
    query: z.string().max(200).optional(),
    /** fleet-rlm (Python)'s name for `query`. */
    search: z.string().max(200).optional(),
    /** Only sessions of this status (then `include_archived` does not matter). */
    status: z.enum(['active', 'archived']).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().optional(),
    /** Skip this many (fleet-rlm (Python)'s paging; `cursor` is stable while sessions change). */
    offset: z.coerce.number().int().min(0).optional(),
    include_archived: z
      .enum(['true', 'false'])
      .optional()
      .transform((value) => value === 'true'),
  })
  .refine((query) => !(query.cursor && query.offset), {
    message: 'page by cursor or by offset, not both: drop one of them',
    path: ['offset'],
  })
  .refine((query) => !(query.query && query.search && query.query !== query.search), {
    message: 'query and search are the same filter: give one of them',
    path: ['search'],
  });

export const listTurnsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after_index: z.coerce.number().int().min(0).optional(),
  /** Skip this many (after `after_index`, when both are given). */
  offset: z.coerce.number().int().min(0).optional(),
});

export const sessionParams = z.object({ id: z.string().min(1) });
export const turnParams = z.object({ id: z.string().min(1), turn_id: z.string().min(1) });
export const documentParams = z.object({ id: z.string().min(1), doc_id: z.string().min(1) });

/** JSON ways to add a document (a multipart `file` field is the third). */
export const addDocumentBody = z.union([
  z.object({ name: z.string().min(1).max(255), text: z.string(), alias: z.string().max(48).optional() }),
  z.object({ url: z.url(), alias: z.string().max(48).optional() }),
]);

export const meSchema = z.object({
  workspace_id: z.string(),
  user_id: z.string(),
  authenticated: z.boolean(),
  /** May change runtime settings and run connectivity tests (ADMIN_USERS, the admin role, or local). */
  is_admin: z.boolean(),
  email: z.string().optional(),
  name: z.string().optional(),
});

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function toSession(
  row: SessionRow,
  runningTurnId: string | null,
  modelName: string | null,
): z.infer<typeof sessionSchema> {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    workspace_id: row.workspaceId,
    user_id: row.userId,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    archived_at: isoOrNull(row.archivedAt),
    active_document_id: row.activeDocumentId,
    running_turn_id: runningTurnId,
    model_name: modelName,
  };
}

export function toTurn(row: TurnRow): z.infer<typeof turnSchema> {
  return {
    id: row.id,
    session_id: row.sessionId,
    index: row.index,
    client_message_id: row.clientMessageId,
    user_message: row.userMessage,
    assistant_message: row.assistantMessage,
    execution_mode: row.executionMode,
    status: row.status,
    error: row.error,
    started_at: iso(row.startedAt),
    finished_at: isoOrNull(row.finishedAt),
    duration_ms: row.durationMs,
    usage: toWireUsage(row.usage),
    trace_id: row.traceId,
    turn_index: row.index,
    created_at: iso(row.startedAt),
  };
}

export function toDocument(row: DocumentMeta, activeId: string | null): z.infer<typeof documentSchema> {
  return {
    id: row.id,
    session_id: row.sessionId,
    alias: row.alias,
    name: row.name,
    source: row.source,
    mime_type: row.mimeType,
    size_bytes: row.sizeBytes,
    text_chars: row.textChars,
    created_at: iso(row.createdAt),
    active: row.id === activeId,
  };
}

/** A turn's execution steps, each in the shape the passive stream's `execution_step` carried it. */
export const turnStepList = z.object({ items: z.array(executionStep) });

export function toStep(row: StepRow): ExecutionStep {
  return {
    id: row.id,
    parent_id: row.parentId,
    type: row.type,
    label: row.label,
    depth: row.depth,
    // Written from the same enum by the step builder; the store keeps it as text.
    actor_kind: row.actorKind as ExecutionStep['actor_kind'],
    actor_id: row.actorId,
    lane_key: row.laneKey,
    // The frame sends null for "none"; the store reads a stored null back as undefined.
    input: row.input ?? null,
    output: row.output ?? null,
    timestamp: iso(row.timestamp),
  };
}
