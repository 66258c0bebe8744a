/**
 * The tables as stored, for Kysely's typed queries. Column names are snake_case; the row
 * mappers in `rows.ts` turn them into the camelCase shapes of `store.ts`.
 *
 * One representation serves both dialects, so queries are written once:
 * - times are epoch milliseconds in `bigint` columns (INTEGER affinity in SQLite; in Postgres
 *   the pool parses int8 as a JS number, see `postgres-database.ts`);
 * - JSON values are `text` holding `JSON.stringify` output, so a frame is kept byte for byte as
 *   it was sent (jsonb would reorder keys and reject `\u0000`);
 * - the one boolean (`feedback.is_correct`) is a native boolean in Postgres and 0/1 in SQLite
 *   (which has no boolean type), hence `boolean | number` when read;
 * - document text is UTF-8 bytes (`bytea` / `blob`), because Postgres `text` refuses U+0000
 *   and extracted PDF text can contain it.
 */
import type { ColumnType, Generated } from 'kysely';

/** A JSON value serialised with JSON.stringify. */
export type JsonText = string;

export interface WorkspacesTable {
  id: string;
  created_at: number;
}

export interface UsersTable {
  workspace_id: string;
  id: string;
  created_at: number;
}

export interface SessionsTable {
  id: string;
  workspace_id: string;
  user_id: string;
  title: string;
  status: string;
  created_at: number;
  updated_at: number;
  archived_at: number | null;
  active_document_id: string | null;
  core_memory: JsonText;
  history_summary: string;
  summarized_through: number;
}

/** Token and cost columns shared by turns and traces. */
export interface UsageColumns {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
}

export interface TurnsTable extends UsageColumns {
  id: string;
  session_id: string;
  workspace_id: string;
  user_id: string;
  /** `index` is a reserved word in SQL. */
  turn_index: number;
  client_message_id: string | null;
  user_message: string;
  assistant_message: string | null;
  execution_mode: string;
  status: string;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  trace_id: string | null;
  /** Added by 0004; null on older turns. */
  chat_start_seq: number | null;
}

export interface ExecutionStepsTable {
  /** Insertion order: steps of one turn are listed in the order they were written. */
  ordinal: Generated<number>;
  id: string;
  session_id: string;
  turn_id: string;
  run_id: string;
  parent_id: string | null;
  type: string;
  label: string;
  depth: number;
  actor_kind: string;
  actor_id: string;
  lane_key: string;
  input: JsonText | null;
  output: JsonText | null;
  timestamp_ms: number;
}

export interface DocumentsTable {
  id: string;
  session_id: string;
  alias: string;
  name: string;
  source: string;
  mime_type: string;
  size_bytes: number;
  text_chars: number;
  created_at: number;
}

/** Kept apart from `documents` so listing never reads the text. */
export interface DocumentTextsTable {
  document_id: string;
  text: Buffer;
}

export interface EventsTable {
  session_id: string;
  stream: string;
  seq: number;
  turn_id: string | null;
  frame: JsonText;
  created_at: number;
}

export interface FeedbackTable {
  id: string;
  turn_id: string;
  trace_id: string | null;
  workspace_id: string;
  user_id: string;
  is_correct: ColumnType<boolean | number, boolean | number, boolean | number>;
  comment: string | null;
  expected_response: string | null;
  created_at: number;
}

/** One summary per trace, written (and rewritten) when the root span ends. */
export interface TracesTable extends UsageColumns {
  trace_id: string;
  session_id: string;
  turn_id: string | null;
  workspace_id: string;
  user_id: string;
  name: string;
  status: string;
  started_at: number;
  duration_ms: number | null;
  request_preview: string;
  response_preview: string;
  span_count: number;
}

/** Finished spans; no foreign key to `traces` (see migration 0002: they arrive first). */
export interface SpansTable {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  span_type: string;
  /** Epoch microseconds. */
  start_us: number;
  end_us: number;
  status: string;
  status_message: string | null;
  attributes: JsonText;
  events: JsonText;
}

export interface Database {
  workspaces: WorkspacesTable;
  users: UsersTable;
  sessions: SessionsTable;
  turns: TurnsTable;
  execution_steps: ExecutionStepsTable;
  documents: DocumentsTable;
  document_texts: DocumentTextsTable;
  events: EventsTable;
  feedback: FeedbackTable;
  traces: TracesTable;
  spans: SpansTable;
}

export type StoreDialect = 'sqlite' | 'postgres';
