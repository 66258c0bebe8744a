/**
 * The error-code catalogue, in the manner of fastify's `lib/errors.js`: every code an `error`
 * envelope, a failed turn's `error` event or an HTTP error body can carry, with the HTTP status
 * it answers with and what it means. The one table of statuses: `server/http-error.ts` answers a
 * `FleetError` (`fleet-error.ts`) with its code's status. Codes that only travel on a WebSocket
 * have a status too, the one they would have over HTTP. The type system keeps every producer
 * inside the catalogue, and `test/contract/catalogue.test.ts` checks that each code has a status,
 * is documented (with that status) in `docs/error-codes.md` and is produced somewhere in `src/`.
 * A code, once published, keeps its meaning and status.
 */
import { z } from 'zod';

export interface ErrorCodeEntry {
  /** The HTTP status an error with this code answers with. */
  status: number;
  description: string;
}

export const ERROR_CODES = {
  // frames and connections
  invalid_json: { status: 400, description: 'the frame is not valid JSON' },
  invalid_frame: { status: 400, description: 'the frame does not match any client frame schema' },
  frame_too_large: { status: 413, description: 'the frame is larger than WS_MAX_FRAME_BYTES' },
  binary_frame: { status: 400, description: 'binary frames are not accepted; send JSON text' },
  rate_limited: { status: 429, description: 'too many frames in a short time; slow down' },
  replay_gap: {
    status: 410,
    description: 'some requested frames are no longer kept; replay starts from the oldest kept',
  },
  // sessions and turns
  session_not_found: { status: 404, description: 'no such session (or it is not yours)' },
  session_archived: { status: 409, description: 'the session is archived' },
  turn_in_progress: { status: 409, description: 'the session already has a running turn; cancel it or wait' },
  no_running_turn: { status: 409, description: 'nothing to cancel' },
  unknown_command: { status: 400, description: 'no such command' },
  command_failed: { status: 422, description: 'the command failed' },
  planner_missing: { status: 503, description: 'no planner model is configured (DSPY_LM_MODEL)' },
  server_shutting_down: {
    status: 503,
    description: 'the server is shutting down and accepts no new turns, sessions or sockets',
  },
  server_restarted: { status: 503, description: 'the server restarted while the turn was running' },
  quota_exceeded: {
    status: 429,
    description: 'a per-user limit is reached (turns, sandboxes or sockets); wait or close something',
  },
  turn_failed: { status: 500, description: 'the turn failed' },
  llm_timeout: { status: 504, description: 'a model call timed out' },
  llm_rate_limited: { status: 429, description: 'the model provider is rate limiting; retry later' },
  llm_error: { status: 502, description: 'a model call failed' },
  // auth
  auth_required: { status: 401, description: 'credentials are required' },
  auth_failed: { status: 401, description: 'the credentials were rejected' },
  auth_unavailable: { status: 503, description: 'the identity provider (JWKS) could not be reached' },
  // HTTP
  invalid_request: { status: 400, description: 'the request does not match the API schema' },
  bad_request: { status: 400, description: 'the request is malformed' },
  not_found: { status: 404, description: 'no such route' },
  payload_too_large: { status: 413, description: 'the request body is too large' },
  missing_file: { status: 400, description: 'the multipart body has no `file` field' },
  document_too_large: { status: 413, description: 'the document is over the size limit' },
  document_unsupported_type: { status: 415, description: 'the document type cannot be read as text' },
  document_invalid_url: { status: 400, description: 'the URL is not an http(s) URL' },
  document_blocked_address: { status: 400, description: 'the URL points at a private or local address' },
  document_fetch_failed: { status: 502, description: 'the URL could not be fetched' },
  document_too_many_redirects: { status: 502, description: 'the URL redirected too many times' },
  document_timeout: { status: 504, description: 'fetching the URL timed out' },
  document_not_found: {
    status: 404,
    description: 'no such document (or no such file in the session workspace)',
  },
  document_outside_workspace: { status: 400, description: 'the path leaves the session workspace' },
  document_extraction_failed: { status: 422, description: 'the document could not be read' },
  document_empty: { status: 422, description: 'the document has no text' },
  document_unsafe_archive: {
    status: 422,
    description: 'the zip inside the document is built to hurt (compression ratio, lying sizes)',
  },
  document_parse_timeout: {
    status: 422,
    description: 'reading the document took longer than FLEET_DOCUMENT_PARSE_TIMEOUT',
  },
  document_parse_out_of_memory: {
    status: 413,
    description: 'reading the document needed more than FLEET_DOCUMENT_WORKER_HEAP_MB',
  },
  document_busy: { status: 503, description: 'too many documents are being read; try again shortly' },
  invalid_cursor: { status: 400, description: 'the list cursor is not one this server gave out' },
  forbidden: {
    status: 403,
    description: 'the resource belongs to someone else, or only an admin may do this',
  },
  origin_not_allowed: {
    status: 403,
    description: 'a web page of another origin may not call this server (see CORS_ALLOWED_ORIGINS)',
  },
  host_not_allowed: {
    status: 403,
    description: 'the request is addressed to a name this loopback server does not answer to',
  },
  // traces and feedback
  trace_not_found: { status: 404, description: 'no such trace' },
  turn_not_found: { status: 404, description: 'no such turn' },
  trace_turn_mismatch: { status: 400, description: 'the trace is not the trace of that turn' },
  feedback_unavailable: {
    status: 503,
    description: 'neither the database nor MLflow could take the feedback',
  },
  internal_error: { status: 500, description: 'an unexpected server error' },
  // runtime settings
  settings_read_only: { status: 403, description: 'runtime settings can only be changed when APP_ENV=local' },
  unknown_setting: { status: 400, description: 'the key is not a runtime setting that can be changed' },
  invalid_setting: { status: 400, description: 'a runtime setting has an invalid value' },
} as const satisfies Record<string, ErrorCodeEntry>;
export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status of `code`, from the catalogue. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

export const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);
