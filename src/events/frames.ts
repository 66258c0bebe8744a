/**
 * The WebSocket wire contract, as zod schemas: client frames and server envelopes of
 * `/api/v1/ws/execution`, and the read-only frames of `/api/v1/ws/execution/events`.
 * Types, the OpenAPI description and the clients all derive from this file.
 */
import { z } from 'zod';

export const EVENT_VERSION = 2;

// ----------------------------------------------------------------------------- client frames

export const EXECUTION_MODES = ['auto', 'rlm_only', 'tools_only'] as const;

export const messageFrame = z.object({
  type: z.literal('message'),
  content: z.string().trim().min(1, 'content is empty'),
  session_id: z.string().min(1).optional(),
  client_message_id: z.string().min(1).max(200).optional(),
  execution_mode: z.enum(EXECUTION_MODES).optional(),
  /** Document ids to make available (the newest becomes the active one). */
  documents: z.array(z.string().min(1)).max(50).optional(),
});

export const cancelFrame = z.object({ type: z.literal('cancel'), session_id: z.string().min(1).optional() });

export const commandFrame = z.object({
  type: z.literal('command'),
  command: z.string().min(1),
  args: z.record(z.string(), z.unknown()).optional(),
  session_id: z.string().min(1).optional(),
});

export const resumeFrame = z.object({
  type: z.literal('resume'),
  session_id: z.string().min(1),
  since_seq: z.number().int().nonnegative(),
});

export const clientFrame = z.discriminatedUnion('type', [
  messageFrame,
  cancelFrame,
  commandFrame,
  resumeFrame,
]);

export type MessageFrame = z.infer<typeof messageFrame>;
export type CancelFrame = z.infer<typeof cancelFrame>;
export type CommandFrame = z.infer<typeof commandFrame>;
export type ResumeFrame = z.infer<typeof resumeFrame>;
export type ClientFrame = z.infer<typeof clientFrame>;

// ----------------------------------------------------------------------------- chat events

export const EVENT_KINDS = [
  'status',
  'assistant_token',
  'reasoning_step',
  'tool_call',
  'tool_result',
  'rlm_executing',
  'sandbox_output',
  'trajectory_step',
  'memory_update',
  'final',
  'cancelled',
  'error',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Kinds that end a turn: exactly one of them closes every turn's stream. */
export const TERMINAL_KINDS: readonly EventKind[] = ['final', 'cancelled', 'error'];

export const chatEvent = z.object({
  kind: z.enum(EVENT_KINDS),
  text: z.string(),
  payload: z.record(z.string(), z.unknown()),
  /** ISO 8601. */
  timestamp: z.string(),
  version: z.literal(EVENT_VERSION),
  event_id: z.string(),
  /** Per session, starting at 1, gap-free. */
  seq: z.number().int().positive(),
  session_id: z.string(),
  turn_id: z.string().nullable(),
});
export type ChatEvent = z.infer<typeof chatEvent>;

export const eventEnvelope = z.object({ type: z.literal('event'), data: chatEvent });
export const commandResultEnvelope = z.object({
  type: z.literal('command_result'),
  command: z.string(),
  result: z.unknown(),
  session_id: z.string().optional(),
});
export const errorEnvelope = z.object({
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export const serverEnvelope = z.discriminatedUnion('type', [
  eventEnvelope,
  commandResultEnvelope,
  errorEnvelope,
]);

export type EventEnvelope = z.infer<typeof eventEnvelope>;
export type CommandResultEnvelope = z.infer<typeof commandResultEnvelope>;
export type ErrorEnvelope = z.infer<typeof errorEnvelope>;
export type ServerEnvelope = z.infer<typeof serverEnvelope>;

// ----------------------------------------------------------------------------- passive frames

export const STEP_TYPES = ['llm', 'tool', 'repl', 'memory', 'output'] as const;

export const executionStep = z.object({
  id: z.string(),
  parent_id: z.string().nullable(),
  type: z.enum(STEP_TYPES),
  label: z.string(),
  depth: z.number().int().nonnegative(),
  /** `agent` (the chat agent), `root_rlm` (a delegated RLM), `sub_agent` (a child RLM), `sandbox`. */
  actor_kind: z.string(),
  actor_id: z.string(),
  lane_key: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  /** ISO 8601. */
  timestamp: z.string(),
});
export type ExecutionStep = z.infer<typeof executionStep>;

export const passiveFrame = z.object({
  type: z.enum(['execution_started', 'execution_step', 'execution_completed']),
  seq: z.number().int().positive(),
  run_id: z.string(),
  workspace_id: z.string(),
  user_id: z.string(),
  session_id: z.string(),
  step: executionStep.nullable(),
  summary: z.record(z.string(), z.unknown()).nullable(),
});
export type PassiveFrame = z.infer<typeof passiveFrame>;

// ----------------------------------------------------------------------------- error codes

/**
 * Every code an `error` envelope, a failed turn or an HTTP error body can carry, with what it
 * means. One catalogue for both transports; the type system keeps every producer inside it.
 */
export const ERROR_CODES = {
  // frames and connections
  invalid_json: 'the frame is not valid JSON',
  invalid_frame: 'the frame does not match any client frame schema',
  frame_too_large: 'the frame is larger than WS_MAX_FRAME_BYTES',
  binary_frame: 'binary frames are not accepted; send JSON text',
  rate_limited: 'too many frames in a short time; slow down',
  replay_gap: 'some requested frames are no longer kept; replay starts from the oldest kept',
  // sessions and turns
  session_not_found: 'no such session (or it is not yours)',
  session_archived: 'the session is archived',
  turn_in_progress: 'the session already has a running turn; cancel it or wait',
  no_running_turn: 'nothing to cancel',
  unknown_command: 'no such command',
  command_failed: 'the command failed',
  planner_missing: 'no planner model is configured (DSPY_LM_MODEL)',
  server_shutting_down: 'the server is shutting down and accepts no new turns',
  server_restarted: 'the server restarted while the turn was running',
  quota_exceeded: 'a per-user limit is reached (turns, sandboxes or sockets); wait or close something',
  turn_failed: 'the turn failed',
  llm_timeout: 'a model call timed out',
  llm_rate_limited: 'the model provider is rate limiting; retry later',
  llm_error: 'a model call failed',
  // auth
  auth_required: 'credentials are required',
  auth_failed: 'the credentials were rejected',
  auth_unavailable: 'the identity provider (JWKS) could not be reached',
  // HTTP
  invalid_request: 'the request does not match the API schema',
  bad_request: 'the request is malformed',
  not_found: 'no such route',
  payload_too_large: 'the request body is too large',
  missing_file: 'the multipart body has no `file` field',
  document_too_large: 'the document is over the size limit',
  document_unsupported_type: 'the document type cannot be read as text',
  document_invalid_url: 'the URL is not an http(s) URL',
  document_blocked_address: 'the URL points at a private or local address',
  document_fetch_failed: 'the URL could not be fetched',
  document_too_many_redirects: 'the URL redirected too many times',
  document_timeout: 'fetching the URL timed out',
  document_not_found: 'no such document (or no such file in the session workspace)',
  document_outside_workspace: 'the path leaves the session workspace',
  document_extraction_failed: 'the document could not be read',
  document_empty: 'the document has no text',
  document_unsafe_archive: 'the zip inside the document is built to hurt (compression ratio, lying sizes)',
  document_parse_timeout: 'reading the document took longer than FLEET_DOCUMENT_PARSE_TIMEOUT',
  document_parse_out_of_memory: 'reading the document needed more than FLEET_DOCUMENT_WORKER_HEAP_MB',
  document_busy: 'too many documents are being read; try again shortly',
  invalid_cursor: 'the list cursor is not one this server gave out',
  forbidden: 'the resource belongs to someone else, or only an admin may do this',
  origin_not_allowed: 'a web page of another origin may not call this server (see CORS_ALLOWED_ORIGINS)',
  host_not_allowed: 'the request is addressed to a name this loopback server does not answer to',
  // traces and feedback
  trace_not_found: 'no such trace',
  turn_not_found: 'no such turn',
  trace_turn_mismatch: 'the trace is not the trace of that turn',
  feedback_unavailable: 'neither the database nor MLflow could take the feedback',
  internal_error: 'an unexpected server error',
  // runtime settings
  settings_read_only: 'runtime settings can only be changed when APP_ENV=local',
  unknown_setting: 'the key is not a runtime setting that can be changed',
  invalid_setting: 'a runtime setting has an invalid value',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;
