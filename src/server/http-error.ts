/**
 * The one error body every route answers with — `{code, message, detail, details?, request_id}`,
 * `detail` repeating the message for fleet-rlm (Python)'s clients, which read FastAPI's — and
 * the mapping from each layer's typed errors to an HTTP status. Lower layers never pick statuses.
 * Messages and details pass the secret redactor on the way out: they quote what lower layers
 * and remote services said.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorCode } from '../contract/error-codes.js';
import { DocumentError } from '../documents/document-error.js';
import { SessionError } from '../sessions/session-error.js';
import { InvalidCursorError } from '../store/list-cursor.js';
import { FeedbackError } from '../tracing/feedback-recorder.js';
import { SecretRedactor } from '../tracing/redaction.js';
import { TraceCursorError } from '../tracing/trace-catalog.js';
import { TurnError } from '../turns/turn-error.js';
import { AuthError } from './auth/auth-error.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const TURN_STATUS: Record<string, number> = {
  session_not_found: 404,
  session_archived: 409,
  turn_in_progress: 409,
  planner_missing: 503,
  server_shutting_down: 503,
  invalid_frame: 400,
  quota_exceeded: 429,
};

const SESSION_STATUS: Record<SessionError['code'], number> = {
  session_not_found: 404,
  session_archived: 409,
  document_not_found: 404,
  turn_not_found: 404,
  quota_exceeded: 429,
};

const DOCUMENT_STATUS: Record<string, number> = {
  too_large: 413,
  unsupported_type: 415,
  invalid_url: 400,
  blocked_address: 400,
  outside_workspace: 400,
  not_found: 404,
  fetch_failed: 502,
  too_many_redirects: 502,
  timeout: 504,
  extraction_failed: 422,
  empty: 422,
  unsafe_archive: 422,
  parse_timeout: 422,
  parse_out_of_memory: 413,
  busy: 503,
};

const FEEDBACK_STATUS: Record<string, number> = {
  turn_not_found: 404,
  trace_not_found: 404,
  trace_turn_mismatch: 400,
  feedback_unavailable: 503,
};

interface Mapped {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function mapError(error: unknown): Mapped {
  if (error instanceof HttpError)
    return { status: error.status, code: error.code, message: error.message, details: error.details };
  if (AuthError.isInstance(error)) return { status: error.status, code: error.code, message: error.message };
  if (SessionError.isInstance(error))
    return { status: SESSION_STATUS[error.code], code: error.code, message: error.message };
  if (TurnError.isInstance(error))
    return {
      status: TURN_STATUS[error.code] ?? 400,
      code: error.code,
      message: error.message,
      details: error.details,
    };
  if (DocumentError.isInstance(error))
    return {
      status: DOCUMENT_STATUS[error.code] ?? 400,
      code: `document_${error.code}`,
      message: error.message,
    };
  if (FeedbackError.isInstance(error))
    return { status: FEEDBACK_STATUS[error.code] ?? 400, code: error.code, message: error.message };
  if (error instanceof InvalidCursorError || error instanceof TraceCursorError)
    return { status: 400, code: 'invalid_cursor', message: error.message };
  if (hasZodFastifySchemaValidationErrors(error)) {
    return {
      status: 400,
      code: 'invalid_request',
      message: 'the request does not match the API schema',
      details: {
        issues: error.validation.map((issue) => ({ path: issue.instancePath, message: issue.message })),
      },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fastifyError.statusCode === 413) {
    return {
      status: 413,
      code: 'payload_too_large',
      message: fastifyError.message ?? 'the request body is too large',
    };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      code: 'bad_request',
      message: fastifyError.message ?? 'bad request',
    };
  }
  return {
    status: 500,
    code: 'internal_error',
    message: 'an unexpected server error; see the server log with this request id',
  };
}

/** Without the server's configured secrets: the well-known key and token patterns only. */
const PATTERNS_ONLY = new SecretRedactor();

export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  redactor: SecretRedactor = PATTERNS_ONLY,
): FastifyReply {
  const mapped = mapError(error);
  if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
  if (AuthError.isInstance(error)) reply.header('www-authenticate', error.wwwAuthenticate);
  const message = redactor.text(mapped.message);
  return reply.status(mapped.status).send({
    code: mapped.code,
    message,
    detail: message,
    ...(mapped.details ? { details: redactor.value(mapped.details) } : {}),
    request_id: request.id,
  });
}
