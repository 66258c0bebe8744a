/**
 * The error-code catalogue: every code an `error` envelope, a failed turn's `error` event or an
 * HTTP error body can carry, with what it means. One catalogue for both transports; the type
 * system keeps every producer inside it, and `test/contract/catalogue.test.ts` checks that each
 * code is documented in `docs/error-codes.md` and produced somewhere in `src/`.
 */
import { z } from 'zod';

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

export const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);
