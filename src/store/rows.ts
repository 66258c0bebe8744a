/**
 * Converts stored rows (snake_case, JSON as text, booleans as 0/1 in SQLite) into the shapes
 * of `store.ts`, and back for the columns that need encoding. Every read path goes through here,
 * so both dialects return identical values.
 */
import type { Selectable } from 'kysely';
import type { ExecutionMode } from '../contract/client-frames.js';
import type { StepType } from '../contract/passive-frames.js';
import { fromWireUsage } from '../util/usage.js';
import type {
  DocumentsTable,
  EventsTable,
  ExecutionStepsTable,
  FeedbackTable,
  JsonText,
  SessionsTable,
  SpansTable,
  TracesTable,
  TurnsTable,
} from './schema.js';
import type {
  CoreMemory,
  DocumentMeta,
  EventRow,
  EventStream,
  FeedbackRow,
  SessionRow,
  SessionStatus,
  SpanRow,
  StepRow,
  TraceRow,
  TurnRow,
  TurnStatus,
} from './store.js';

/** `undefined` has no JSON form; it is stored as SQL NULL and read back as `undefined`. */
export function toJson(value: unknown): JsonText | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function fromJson(text: JsonText | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}

export function toSessionRow(row: Selectable<SessionsTable>): SessionRow {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    title: row.title,
    status: row.status as SessionStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
    activeDocumentId: row.active_document_id,
    coreMemory: JSON.parse(row.core_memory) as CoreMemory,
    historySummary: row.history_summary,
    summarizedThrough: row.summarized_through,
  };
}

export function toTurnRow(row: Selectable<TurnsTable>): TurnRow {
  return {
    id: row.id,
    sessionId: row.session_id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    index: row.turn_index,
    clientMessageId: row.client_message_id,
    userMessage: row.user_message,
    assistantMessage: row.assistant_message,
    executionMode: row.execution_mode as ExecutionMode,
    status: row.status as TurnStatus,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    usage: fromWireUsage(row),
    traceId: row.trace_id,
    chatStartSeq: row.chat_start_seq == null ? null : Number(row.chat_start_seq),
  };
}

export function toStepRow(row: Selectable<ExecutionStepsTable>): StepRow {
  return {
    id: row.id,
    sessionId: row.session_id,
    turnId: row.turn_id,
    runId: row.run_id,
    parentId: row.parent_id,
    type: row.type as StepType,
    label: row.label,
    depth: row.depth,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    laneKey: row.lane_key,
    input: fromJson(row.input),
    output: fromJson(row.output),
    timestamp: row.timestamp_ms,
  };
}

export function toDocumentMeta(row: Selectable<DocumentsTable>): DocumentMeta {
  return {
    id: row.id,
    sessionId: row.session_id,
    alias: row.alias,
    name: row.name,
    source: row.source,
    mimeType: row.mime_type,
    sizeBytes: row.size_bytes,
    textChars: row.text_chars,
    createdAt: row.created_at,
  };
}

export function toEventRow(row: Selectable<EventsTable>): EventRow {
  return {
    sessionId: row.session_id,
    stream: row.stream as EventStream,
    seq: row.seq,
    turnId: row.turn_id,
    frame: JSON.parse(row.frame),
    frameJson: row.frame,
    createdAt: row.created_at,
  };
}

export function toFeedbackRow(row: Selectable<FeedbackTable>): FeedbackRow {
  return {
    id: row.id,
    turnId: row.turn_id,
    traceId: row.trace_id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    isCorrect: Boolean(row.is_correct),
    comment: row.comment,
    expectedResponse: row.expected_response,
    createdAt: row.created_at,
  };
}

export function toTraceRow(row: Selectable<TracesTable>): TraceRow {
  return {
    traceId: row.trace_id,
    sessionId: row.session_id,
    turnId: row.turn_id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    name: row.name,
    status: row.status as TraceRow['status'],
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    requestPreview: row.request_preview,
    responsePreview: row.response_preview,
    usage: fromWireUsage(row),
    spanCount: row.span_count,
  };
}

export function toSpanRow(row: Selectable<SpansTable>): SpanRow {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    name: row.name,
    spanType: row.span_type,
    startUs: row.start_us,
    endUs: row.end_us,
    status: row.status as SpanRow['status'],
    statusMessage: row.status_message,
    attributes: JSON.parse(row.attributes) as SpanRow['attributes'],
    events: JSON.parse(row.events) as SpanRow['events'],
  };
}
